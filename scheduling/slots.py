"""Bookable slots of one service on one day.

Slots step by the service's duration from the start of each reception interval and end inside it,
so none crosses a break or runs past closing. A slot's capacity is the windows able to serve the
whole slot, less the share kept for walk-ins; its free places are only those admission will accept.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from fractions import Fraction
from math import floor

from .admission import BookingInterval, DayBook, WindowAvailability
from .calendar import KYIV, Day, aware
from .intervals import clock, covers, minutes, spans


@dataclass(frozen=True)
class Slot:
    start: time
    end: time
    capacity: int  # places offered for booking: windows that can serve the whole slot, less walk-ins
    free: int  # places a booking can still take; each one is admissible (see `admission.admit`)


def walk_in_reserve(capacities: list[int], share: float) -> list[int]:
    """Places kept for walk-ins per slot: the share rounded cumulatively over the day.

    Rounding each slot alone would turn one window at share 0.5 into all or nothing; carrying the
    remainder keeps every other slot instead. The share is read as an exact fraction (0.1 or 1/3
    as given, not as binary floats), so the running sum does not drift.
    """
    frac = Fraction(min(max(share, 0.0), 1.0)).limit_denominator(1000)
    out, acc = [], Fraction(0)
    for cap in capacities:
        before = floor(acc)
        acc += cap * frac
        out.append(floor(acc) - before)
    return out


def _places(book: DayBook, service: str, start: time, end: time, limit: int, time_limit_s: float) -> int:
    """How many more bookings (up to `limit`) of [start, end) admission accepts one after another."""
    mark = book.mark()
    n = 0
    while n < limit and book.admit(BookingInterval(("probe", n), service, start, end), time_limit_s).ok:
        n += 1
    book.rollback(mark)
    return n


def slots_for(day: Day, duration_min: int, windows: list[WindowAvailability], bookings: list[BookingInterval],
              service: str, walk_in_share: float, now: datetime, min_notice_min: int = 60,
              horizon_days: int = 30, time_limit_s: float = 0.2) -> list[Slot]:
    """The slots of `service` on `day` that have a bookable capacity, in time order.

    `windows` is the day's window availability (from the plan, or every window over reception
    hours), `bookings` every active booking of the office that day, all services. Slots starting
    before `now` + notice, or days beyond the horizon, are left out.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    today = now.astimezone(KYIV).date()
    if not day.is_open or duration_min <= 0 or not today <= day.date <= today + timedelta(days=horizon_days):
        return []
    starts = [t for a, b in spans(day.reception) for t in range(a, b - duration_min + 1, duration_min)]
    serving = [spans(w.intervals) for w in windows if service in w.services]
    capacities = [sum(covers(s, t, t + duration_min) for s in serving) for t in starts]
    earliest = now.astimezone(timezone.utc) + timedelta(minutes=min_notice_min)  # UTC: real minutes across DST
    book = DayBook(windows, bookings)
    out = []
    for t, cap, kept in zip(starts, capacities, walk_in_reserve(capacities, walk_in_share)):
        offered = cap - kept
        if offered <= 0 or aware(day.date, clock(t)) < earliest:
            continue
        booked = sum(1 for b in bookings if b.service == service and t <= minutes(b.start) < t + duration_min)
        free = _places(book, service, clock(t), clock(t + duration_min), max(offered - booked, 0), time_limit_s)
        out.append(Slot(clock(t), clock(t + duration_min), offered, free))
    return out
