"""The one place that says what time it is in Kryvyi Rih (tests move it).

QUEUE_FAKE_NOW=2026-11-24T11:00:00+02:00 (read once, at import) starts the clock of this process at
that instant; it then keeps ticking with the real time. Browser tests and benchmarks use it, since
a server process cannot be monkeypatched.
"""
import os
import time
from datetime import datetime, timedelta

from scheduling import KYIV

_FAKE_NOW = os.environ.get("QUEUE_FAKE_NOW", "").strip()
_FAKE_START: datetime | None = None
_REAL_START = time.monotonic()
if _FAKE_NOW:
    _FAKE_START = datetime.fromisoformat(_FAKE_NOW)
    if _FAKE_START.tzinfo is None:
        _FAKE_START = _FAKE_START.replace(tzinfo=KYIV)


def now() -> datetime:
    if _FAKE_START is not None:
        return (_FAKE_START + timedelta(seconds=time.monotonic() - _REAL_START)).astimezone(KYIV)
    return datetime.now(KYIV)
