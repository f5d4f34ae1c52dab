"""SQLite's WAL checkpoints, off the server's event loop.

A commit that grows the write-ahead log past 1 000 pages copies the log back into the database file
there and then (SQLite's automatic checkpoint): ~10 ms in which the gevent worker serves no one, and
a call waiting on that commit reaches the boards that much later. So the server process turns the
automatic checkpoint off on its connections and checkpoints from an OS thread instead: PASSIVE, it
neither waits for nor blocks readers and writers, and sqlite3 lets go of the GIL while it copies.
Other processes (flask commands) keep SQLite's automatic checkpoint.

It checkpoints at SQLite's own mark, once the log holds 1 000 pages, not on a timer: a checkpoint
still costs the worker a little (the thread's hand-over, the GIL), and a quiet office's calls should
not meet one every few seconds. The log's size tells, since the server's connections have it cut back
to nothing each time it starts over (journal_size_limit 0); a look at it is one stat() call.
"""
import logging
import os
import sqlite3

from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)

INTERVAL_S = 2.0  # how often the log's size is looked at
PAGES = 1000  # SQLite's automatic checkpoint mark


def checkpoint(path: str) -> tuple[int, int, int]:
    """One passive checkpoint on a connection of its own: (busy, frames in the log, frames checkpointed)."""
    con = sqlite3.connect(path, timeout=0)
    try:
        return con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        con.close()


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    dbapi_connection.execute("PRAGMA journal_size_limit=0")


def log_pages(path: str, page_size: int) -> int:
    """Pages in the write-ahead log beside the database at `path`, from its size (0 if there is none)."""
    try:
        size = os.stat(path + "-wal").st_size
    except FileNotFoundError:
        return 0
    return max(0, size - 32) // (page_size + 24)  # a 32-byte header, then a 24-byte header a page


def checkpoint_in_background(app):
    """For the gevent server process (gunicorn.conf.py): its connections stop checkpointing on commit,
    a greenlet looks at the log every INTERVAL_S and has an OS thread checkpoint it once it holds PAGES
    pages; returns that greenlet. None when
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
    with engine.connect() as conn:
        page_size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    event.listen(engine, "connect", _no_autocheckpoint)
    engine.dispose()  # connections opened while the app was made reopen with the setting

    def run() -> None:
        pool = gevent.get_hub().threadpool
        while True:
            gevent.sleep(INTERVAL_S)
            if log_pages(path, page_size) < PAGES:
                continue
            try:
                pool.apply(checkpoint, (path,))
            except sqlite3.Error as err:  # the next round tries again; commits never wait on this
                log.warning("WAL checkpoint failed: %s", err)

    return gevent.spawn(run)
