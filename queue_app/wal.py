"""SQLite's WAL checkpoints, off the server's event loop.

A commit that grows the write-ahead log past 1 000 pages copies the log back into the database file
there and then (SQLite's automatic checkpoint): ~10 ms in which the gevent worker serves no one, and
a call waiting on that commit reaches the boards that much later. So the server process turns the
automatic checkpoint off on its connections and checkpoints from an OS thread instead: PASSIVE, it
neither waits for nor blocks readers and writers, and sqlite3 lets go of the GIL while it copies.
Other processes (flask commands) keep SQLite's automatic checkpoint.

It checkpoints at SQLite's own mark, once the log holds 1 000 pages not yet copied back, not on a
timer: a checkpoint still costs the worker a little (the thread's hand-over, the GIL), and a quiet
office's calls should not meet one every few seconds. The wal-index (the `-shm` file every connection
maps) tells: its header counts the frames in the log and those already copied back; a look at it is
one read of 100 bytes.

The log file keeps its size when the log starts over (up to JOURNAL_LIMIT): cut back to nothing, as
`journal_size_limit 0` does, the first commit after each checkpoint had to grow the file again, page
by page, and the call behind it reached the boards 2-3 ms late (a trace of bench_board's calls).
"""
import logging
import sqlite3
import struct

from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)

INTERVAL_S = 2.0  # how often the wal-index is looked at
PAGES = 1000  # SQLite's automatic checkpoint mark
JOURNAL_LIMIT = 64 * 1024 * 1024  # a log grown past this (a long reader held checkpoints off) is cut back


def checkpoint(path: str) -> tuple[int, int, int]:
    """One passive checkpoint on a connection of its own: (busy, frames in the log, frames checkpointed)."""
    con = sqlite3.connect(path, timeout=0)
    try:
        return con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        con.close()


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    dbapi_connection.execute(f"PRAGMA journal_size_limit={JOURNAL_LIMIT}")


def log_pages(path: str) -> int:
    """Pages in the write-ahead log beside the database at `path` not yet copied back (0 if it has none).
    From the wal-index header (sqlite.org/walformat.html, native byte order): mxFrame, the frames in
    the log, at byte 16; nBackfill, those a checkpoint copied back, at byte 96."""
    try:
        with open(path + "-shm", "rb") as shm:
            header = shm.read(100)
    except FileNotFoundError:
        return 0
    if len(header) < 100:
        return 0
    (frames,), (backfilled,) = struct.unpack_from("=I", header, 16), struct.unpack_from("=I", header, 96)
    return max(0, frames - backfilled)


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
    event.listen(engine, "connect", _no_autocheckpoint)
    engine.dispose()  # connections opened while the app was made reopen with the setting

    def run() -> None:
        pool = gevent.get_hub().threadpool
        while True:
            gevent.sleep(INTERVAL_S)
            if log_pages(path) < PAGES:
                continue
            try:
                pool.apply(checkpoint, (path,))
            except sqlite3.Error as err:  # the next round tries again; commits never wait on this
                log.warning("WAL checkpoint failed: %s", err)

    return gevent.spawn(run)
