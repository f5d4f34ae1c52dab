"""Which windows can take bookings on a date: from the stored staffing plan, or every active window."""
from datetime import date, time

from scheduling import BookingInterval, WindowAvailability

from .extensions import db
from .models import ACTIVE_BOOKING, Booking, Office, Service, StaffPlan
from sqlalchemy import select


def _t(s: str) -> time:
    return time.fromisoformat(s)


def window_availability(office: Office, day, reception) -> list[WindowAvailability]:
    """Per active window, the intervals it is staffed within reception hours of `day`."""
    stored = db.session.get(StaffPlan, (office.id, day.date))
    staffed = {}
    if stored is not None:
        for a in stored.plan.get("assignments", []):
            staffed.setdefault(a["window_id"], []).append((_t(a["start"]), _t(a["end"])))
    result = []
    for window in office.windows:
        if not window.active:
            continue
        intervals = reception if stored is None else _clip(staffed.get(window.id, []), reception)
        if intervals:
            result.append(WindowAvailability(window.id, frozenset(s.code for s in window.services),
                                             tuple(intervals)))
    return result


def _clip(intervals, reception):
    """The parts of the staffed `intervals` that fall inside reception hours, merged."""
    out = []
    for a, b in sorted(intervals):
        for ra, rb in reception:
            lo, hi = max(a, ra), min(b, rb)
            if lo < hi:
                if out and out[-1][1] >= lo:
                    out[-1] = (out[-1][0], max(out[-1][1], hi))
                else:
                    out.append((lo, hi))
    return out


def day_bookings(office: Office, d: date) -> list[BookingInterval]:
    rows = db.session.execute(
        select(Booking.id, Service.code, Booking.start, Booking.end, Booking.window_id)
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.office_id == office.id, Booking.day == d, Booking.status.in_(ACTIVE_BOOKING))).all()
    return [BookingInterval(r.id, r.code, r.start, r.end, r.window_id) for r in rows]
