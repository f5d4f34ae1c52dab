"""Feeds the pure scheduling domain from the database: an office's calendar as plain data."""
from datetime import date

from sqlalchemy import or_, select

from scheduling import DayOverride, OfficeCalendar, Regime, days_between

from .cache import cached
from .extensions import db
from .models import Closure, Office

# The dates the centre's calendars can mean; input outside is refused where it is read, since near the ends
# of Python's date range the calendar's week arithmetic overflows.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def office_calendar(office: Office, d_from: date, d_to: date) -> OfficeCalendar:
    closures = db.session.scalars(
        select(Closure).where(or_(Closure.office_id == office.id, Closure.office_id.is_(None)),
                              Closure.date_from <= d_to, Closure.date_to >= d_from)).all()
    overrides = []
    for closure in closures:
        d = max(closure.date_from, d_from)
        while d <= min(closure.date_to, d_to):
            overrides.append(DayOverride(d, None, closure.reason))
            d = date.fromordinal(d.toordinal() + 1)
    return OfficeCalendar(regimes=[Regime.from_dict(s.rules) for s in office.regimes],
                          overrides=overrides, honour_holidays=office.honour_holidays)


def office_days(office: Office, d_from: date, d_to: date):
    """The office's days from d_from to d_to (immutable `scheduling.Day`s), cached for a minute."""
    return cached("office_days", (office.id, d_from, d_to), 60.0,
                  lambda: days_between(office_calendar(office, d_from, d_to), d_from, d_to))


def hhmm(intervals) -> list[list[str]]:
    return [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in intervals]


def day_json(day) -> dict:
    return {"date": day.date.isoformat(), "open": hhmm(day.open), "reception": hhmm(day.reception),
            "regime": day.regime, "note": day.note, "appointment_only": day.appointment_only}


def schedule_json(office: Office, d_from: date, d_to: date) -> dict:
    return {"office": office.code, "days": [day_json(d) for d in office_days(office, d_from, d_to)]}
