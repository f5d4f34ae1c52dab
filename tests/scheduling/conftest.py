"""Reference schedules of NOTES.md in their stored (dict) form, and an independent feasibility check."""
from datetime import time

import pytest

from scheduling import OfficeCalendar, Regime

HOURS = {"open": [["08:30", "17:00"]], "reception": [["09:00", "16:00"]]}
LONG = {"open": [["08:30", "20:00"]], "reception": [["09:00", "20:00"]]}
LUNCH = [["12:30", "13:00"]]
QUARANTINE_DAY = {"open": [["08:00", "15:30"]], "reception": [["08:00", "15:30"]], "breaks": LUNCH}

MAIN = {"name": "Звичайний (головний офіс)",
        "weekly": {"mon": HOURS, "tue": LONG, "wed": HOURS, "thu": LONG, "fri": HOURS},
        "nth": [{"weekday": "sat", "n": 4, **HOURS, "breaks": LUNCH}],
        "valid_from": None, "valid_to": None, "appointment_only": False, "priority": 0}
UNIT = {"name": "Звичайний (територіальний підрозділ)",
        "weekly": {d: {**HOURS, "breaks": LUNCH} for d in ("mon", "tue", "wed", "thu", "fri")}}
QUARANTINE_MAIN = {"name": "Карантинний", "valid_from": "2021-09-01", "valid_to": "2021-12-31",
                   "appointment_only": True, "priority": 10,
                   "weekly": {d: QUARANTINE_DAY for d in ("mon", "tue", "wed", "thu", "fri", "sat")}}


@pytest.fixture(scope="session")
def regimes() -> dict[str, dict]:
    return {"main": MAIN, "unit": UNIT, "quarantine_main": QUARANTINE_MAIN}


@pytest.fixture(scope="session")
def main_cal() -> OfficeCalendar:
    return OfficeCalendar([Regime.from_dict(MAIN), Regime.from_dict(QUARANTINE_MAIN)])


@pytest.fixture(scope="session")
def unit_cal() -> OfficeCalendar:
    return OfficeCalendar([Regime.from_dict(UNIT)])


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def brute_force_feasible(windows, bookings) -> bool:
    """Backtracking over bookings in start order, written apart from the code under test: can each
    booking have one window that serves its service over its whole interval, with no overlaps?"""
    todo = sorted(bookings, key=lambda b: (_minutes(b.start), _minutes(b.end)))
    taken: list[list[tuple[int, int]]] = [[] for _ in windows]

    def fits(k, b):
        w = windows[k]
        s, e = _minutes(b.start), _minutes(b.end)
        inside = any(_minutes(a) <= s and e <= _minutes(z) for a, z in w.intervals)
        return b.service in w.services and inside and all(e <= a or z <= s for a, z in taken[k])

    def place(n):
        if n == len(todo):
            return True
        b = todo[n]
        for k in range(len(windows)):
            if fits(k, b):
                taken[k].append((_minutes(b.start), _minutes(b.end)))
                if place(n + 1):
                    return True
                taken[k].pop()
        return False

    return place(0)


@pytest.fixture(scope="session")
def feasible():
    return brute_force_feasible
