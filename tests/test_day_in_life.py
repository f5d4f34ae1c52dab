"""Issue 8: a day in the life of the main office, the short form (bench/bench_day.py plays the full one).

A Tuesday (reception 09:00–20:00) compressed 1 800 times, about half a minute of play: 120 visitors,
some booked the day before, at windows 3, 11 and 12 (between them every service), 2 boards and 20
phones. bench/day.py drives it against a real server and checks the database afterwards. With
DATABASE_URL and REDIS_URL set it runs on PostgreSQL and Redis.
"""
import importlib
import os
import time
from datetime import date, datetime, timedelta

from bench.day import Plan, run_day
from scheduling import KYIV


def test_a_short_day(database_url, tmp_path):
    plan = Plan(day=date(2026, 11, 24), visitors=120, windows=(3, 11, 12), boards=2, phones=20, speed=1800,
                jobs_every_min=None)
    day = run_day(database_url, plan, tmp_path, redis_url=os.environ.get("REDIS_URL"))
    assert day.problems() == []
    # The day did happen: most visitors got a ticket and were served (a busy machine leaves more of
    # them waiting at closing, cancelled then), at every window, some by booking, phones following.
    issued = sum(day.statuses.values())
    assert issued >= 100 and day.statuses["done"] >= issued / 2 and sorted(day.served) == [3, 11, 12]
    assert day.calls == issued - day.statuses["cancelled"] and day.bookings["done"] >= 5 and day.phones == 20


def test_the_clock_runs_at_its_speed_from_its_anchor(monkeypatch):
    import queue_app.clock as clock_module
    start = datetime(2026, 11, 24, 9, 0, tzinfo=KYIV)
    monkeypatch.setenv("QUEUE_FAKE_NOW", start.isoformat())
    monkeypatch.setenv("QUEUE_CLOCK_SPEED", "60")
    monkeypatch.setenv("QUEUE_CLOCK_ANCHOR", repr(time.time() - 10))  # the day started 10 real seconds ago
    try:
        fresh = importlib.reload(clock_module)
        assert timedelta(minutes=10) <= fresh.now() - start < timedelta(minutes=11)
        before = fresh.monotonic()
        time.sleep(0.05)
        assert 2.9 < fresh.monotonic() - before < 6  # cache lifetimes age as fast
    finally:
        for name in ("QUEUE_FAKE_NOW", "QUEUE_CLOCK_SPEED", "QUEUE_CLOCK_ANCHOR"):
            monkeypatch.delenv(name)
        importlib.reload(clock_module)
