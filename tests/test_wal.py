"""SQLite's WAL checkpoints in the server process: not on commit, from a thread (queue_app/wal.py)."""
import os

import gevent
import pytest
from sqlalchemy import text

from queue_app import wal
from queue_app.extensions import db

from .conftest import ENGINE_URL, make_app

pytestmark = pytest.mark.skipif(ENGINE_URL is not None, reason="SQLite's write-ahead log")


def _write_pages(pages: int) -> None:
    db.session.execute(text("CREATE TABLE IF NOT EXISTS filler (x BLOB)"))
    for _ in range(pages // 50):
        db.session.execute(text("INSERT INTO filler VALUES (randomblob(4096 * 50))"))
        db.session.commit()


@pytest.fixture
def background(database_url, monkeypatch):
    """The app, its path, the paths checkpointed (recorded, then done for real) and the greenlet."""
    app, ran = make_app(database_url), []
    monkeypatch.setattr(wal, "INTERVAL_S", 0.05)
    real = wal.checkpoint
    monkeypatch.setattr(wal, "checkpoint", lambda path: ran.append(path) or real(path))
    greenlet = wal.checkpoint_in_background(app)
    with app.app_context():
        path = db.engine.url.database
    yield app, path, ran, greenlet
    greenlet.kill()


def test_commits_leave_the_log_to_the_background_checkpoint(background):
    app, path, ran, greenlet = background
    assert greenlet is not None
    with app.app_context():
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        _write_pages(500)
        gevent.sleep(0.3)  # the greenlet looks: below SQLite's mark, no checkpoint
        assert not ran and 500 <= wal.log_pages(path) < wal.PAGES
        _write_pages(1000)  # past the mark: a commit would have checkpointed by itself, these did not
        assert not ran and wal.log_pages(path) > 1400
        gevent.sleep(0.3)  # the greenlet's turn: it hands the checkpoint to a thread
        assert ran and set(ran) == {path}
        busy, in_log, done = wal.checkpoint(path)
        assert busy == 0 and done == in_log  # nothing left behind in the log
        size = os.stat(path + "-wal").st_size
        _write_pages(50)  # the log starts over: it counts what is written since, in a file kept as it was
        assert wal.log_pages(path) < 100
        assert os.stat(path + "-wal").st_size == size
        db.session.remove()


def test_a_checkpoint_copies_the_whole_log(background):
    app, path, _ran, greenlet = background
    greenlet.kill()  # this test checkpoints by hand
    with app.app_context():
        _write_pages(200)
        busy, in_log, done = wal.checkpoint(path)
        assert busy == 0 and in_log >= 200 and done == in_log
        db.session.remove()


def test_not_for_other_apps():
    from flask import Flask
    assert wal.checkpoint_in_background(Flask("floor")) is None
