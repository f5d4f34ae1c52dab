"""The one place that says what time it is in Kryvyi Rih (tests and simulations move it).

QUEUE_FAKE_NOW=2026-11-24T11:00:00+02:00 (read once, at import) starts the clock of this process at
that instant; it then keeps ticking with the real time. Browser tests and benchmarks use it, since
a server process cannot be monkeypatched. Two more variables go with it (ignored without it):

QUEUE_CLOCK_SPEED=60   the clock runs 60 times faster than real time: one real second is a minute of
                       the office's day (bench/day.py compresses a whole day into minutes). Whatever
                       the app does "after so long" reads this clock, so it speeds up too: bookings
                       lapsing to walk-ins, no-shows, holds, the call-next policy's tolerances, and the
                       lifetime of the per-process caches (`monotonic()`, used by queue_app/cache.py).
QUEUE_CLOCK_ANCHOR=T   the real Unix time T at which the clock reads QUEUE_FAKE_NOW (default: when this
                       module is imported). Processes given the same three values share one clock: the
                       server, `flask --app wsgi jobs run` started later by cron, a simulation's driver.
"""
import os
import time
from datetime import datetime, timedelta

from scheduling import KYIV

_FAKE_NOW = os.environ.get("QUEUE_FAKE_NOW", "").strip()
_FAKE_START: datetime | None = None
_SPEED = 1.0
_REAL_START = time.monotonic()
if _FAKE_NOW:
    _FAKE_START = datetime.fromisoformat(_FAKE_NOW)
    if _FAKE_START.tzinfo is None:
        _FAKE_START = _FAKE_START.replace(tzinfo=KYIV)
    _SPEED = float(os.environ.get("QUEUE_CLOCK_SPEED", "").strip() or 1)
    if not _SPEED > 0:
        raise ValueError(f"QUEUE_CLOCK_SPEED must be positive, not {_SPEED}")
    _anchor = os.environ.get("QUEUE_CLOCK_ANCHOR", "").strip()
    if _anchor:  # the monotonic reading at that real instant, so the clock never jumps with NTP
        _REAL_START -= time.time() - float(_anchor)


def now() -> datetime:
    if _FAKE_START is not None:
        return (_FAKE_START + timedelta(seconds=(time.monotonic() - _REAL_START) * _SPEED)).astimezone(KYIV)
    return datetime.now(KYIV)


def monotonic() -> float:
    """Seconds for measuring how long something has lasted, at the clock's speed."""
    return time.monotonic() * _SPEED
