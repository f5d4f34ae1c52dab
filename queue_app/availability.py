"""Which windows can take bookings on a date: from the stored staffing plan, or every active window."""
from datetime import date

from sqlalchemy import select

from scheduling import BookingInterval, PlanResult, WindowAvailability

from .extensions import db
from .models import ACTIVE_BOOKING, Booking, Office, Service, StaffPlan


def window_availability(office: Office, day, reception) -> list[WindowAvailability]:
    """Who can take bookings when on `day`: per window and operator of the stored staffing plan (the
    services that window offers and that operator can do), or every active window through reception
    hours when no plan is stored."""
    stored = db.session.get(StaffPlan, (office.id, day.date))
    active = {w.id for w in office.windows if w.active}
    if stored is None:
        return [WindowAvailability(w.id, frozenset(s.code for s in w.services), tuple(reception))
                for w in office.windows if w.active]
    result = []
    for spell in PlanResult.from_dict(stored.plan).window_availability(day.date):
        intervals = _clip(spell.intervals, reception)
        if spell.window_id in active and intervals:
            result.append(WindowAvailability(spell.window_id, spell.services, tuple(intervals)))
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
