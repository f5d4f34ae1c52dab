"""A small per-process cache for values read on every ticket (calendars, service times).

Entries live `ttl` seconds of the app's clock, keyed also by the database they came from (tests and
benchmarks run several databases in one process). A change to schedules, closures, offices or windows
flushed in this process clears them at once; other processes see it within the ttl.
"""
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import clock
from .extensions import db

_entries: dict[tuple, tuple[float, object]] = {}
MAX_ENTRIES = 4096


def cached(namespace: str, key: tuple, ttl: float, compute):
    full = (namespace, db.engine.url, *key)  # the URL object itself: rendering it costs on every ticket
    now = clock.monotonic()  # a compressed day (QUEUE_CLOCK_SPEED) ages its entries as fast
    hit = _entries.get(full)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = compute()
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[full] = (now + ttl, value)
    return value


def clear() -> None:
    _entries.clear()


@event.listens_for(Session, "after_flush")
def _invalidate_on_change(session, _context):
    from .models import Closure, Office, OfficeService, Schedule, Window
    kinds = (Closure, Office, OfficeService, Schedule, Window)
    if any(isinstance(obj, kinds) for obj in chain(session.new, session.dirty, session.deleted)):
        clear()
