"""SQLite's WAL checkpoints, off the server's event loop.

A commit that grows the write-ahead log past 1 000 pages copies the log back into the database file
there and then (SQLite's automatic checkpoint): ~10 ms in which the gevent worker serves no one, and
a call waiting on that commit reaches the boards that much later. So the server process turns the
automatic checkpoint off on its connections and checkpoints from an OS thread every few seconds:
PASSIVE, it neither waits for nor blocks readers and writers, and sqlite3 lets go of the GIL while it
copies. Other processes (flask commands) keep SQLite's automatic checkpoint.
"""
import logging
import sqlite3

from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)

INTERVAL_S = 2.0


def checkpoint(path: str) -> tuple[int, int, int]:
    """One passive checkpoint on a connection of its own: (busy, frames in the log, frames checkpointed)."""
    con = sqlite3.connect(path, timeout=0)
    try:
        return con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        con.close()


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def checkpoint_in_background(app):
    """For the gevent server process (gunicorn.conf.py): its connections stop checkpointing on commit,
    a greenlet has an OS thread checkpoint every INTERVAL_S instead; returns that greenlet. None when
    the database is not an SQLite file, or the app not this project's (gunicorn.conf.py serves the
    benchmark's floor too)."""
    import gevent

    if getattr(app, "extensions", {}).get("sqlalchemy") is not db:
        return None
    with app.app_context():
        engine = db.engine
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    path = engine.url.database
    event.listen(engine, "connect", _no_autocheckpoint)
    engine.dispose()  # connections opened while the app was made reopen with the setting

    def run() -> None:
        pool = gevent.get_hub().threadpool
        while True:
            gevent.sleep(INTERVAL_S)
            try:
                pool.apply(checkpoint, (path,))
            except sqlite3.Error as err:  # the next round tries again; commits never wait on this
                log.warning("WAL checkpoint failed: %s", err)

    return gevent.spawn(run)
