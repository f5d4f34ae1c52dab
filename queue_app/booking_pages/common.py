"""Shared by the booking pages: the blueprint, lookups, the calendar grid, date filters."""
import calendar
from datetime import date, datetime, time

from flask import Blueprint, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..bookings import case_for_link, find_booking
from ..calendars import FIRST_DATE, LAST_DATE
from ..errors import ApiError
from ..extensions import db
from ..i18n import loc  # noqa: F401  (the booking pages import it from here)
from ..models import Booking, Office, OfficeService, Service

bp = Blueprint("booking", __name__)
MAX_HOLDS_IN_SESSION = 5


# ---------------------------------------------------------------- helpers

@bp.app_template_global("loc_name")
def _loc_name(obj) -> str:
    return loc(obj)


def _office(code) -> Office | None:
    return db.session.scalar(select(Office).where(Office.code == code)) if isinstance(code, str) else None


def _service(code) -> Service | None:
    return db.session.scalar(select(Service).where(Service.code == code)) if isinstance(code, str) else None


def _bookable_services(office: Office) -> list[Service]:
    return list(db.session.scalars(
        select(Service).join(OfficeService, OfficeService.service_id == Service.id)
        .where(OfficeService.office_id == office.id, OfficeService.bookable.is_(True))
        .order_by(Service.category_id, Service.name)).all())


def _parse_date(raw) -> date | None:
    """A YYYY-MM-DD within the calendars' range (as the API's); anything else is None."""
    try:
        d = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        return None
    return d if d is not None and FIRST_DATE <= d <= LAST_DATE else None


def _parse_time(raw) -> time | None:
    try:
        return time.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 5 else None
    except ValueError:
        return None


def _remember_hold(code: str, token: str) -> None:
    holds = dict(session.get("holds", {}))
    holds[code] = token
    session["holds"] = dict(list(holds.items())[-MAX_HOLDS_IN_SESSION:])


def _held(code: str) -> tuple[Booking, str]:
    """The hold this browser made (its token is in the session); anything else is «not found»."""
    token = session.get("holds", {}).get(code)
    if token is None:
        raise ApiError(404, "unknown_booking", _("Запис не знайдено. Почніть спочатку."))
    return find_booking(code, token), token


def _case_context():
    """A «documents ready» link's case, carried through the steps as ?case=&sig=."""
    code, sig = request.values.get("case"), request.values.get("sig")
    if not code:
        return None
    return case_for_link(code, sig)


def _month_grid(days: dict[date, int], first: date, last: date):
    """Weeks (Monday first) of the months from `first` to `last`; each cell (date, free or None) or None."""
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(y, m):
            weeks.append([(d, days.get(d)) if d.month == m else None for d in week])
        months.append({"year": y, "month": m, "weeks": weeks})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


MONTHS_UK = ["січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
             "жовтень", "листопад", "грудень"]


@bp.app_template_filter("month_name")
def _month_name(m: int) -> str:
    return MONTHS_UK[m - 1] if str(get_locale()) != "en" else calendar.month_name[m]


@bp.app_template_filter("ua_date")
def _ua_date(d: date) -> str:
    return d.strftime("%d.%m.%Y")


@bp.app_template_filter("kyiv_date")
def _kyiv_date(moment: datetime) -> str:
    from scheduling import KYIV
    return moment.astimezone(KYIV).strftime("%d.%m.%Y")


def _weekday(d: date) -> str:
    names = [_("пн"), _("вт"), _("ср"), _("чт"), _("пт"), _("сб"), _("нд")]
    return names[d.weekday()]


@bp.app_template_global("weekday_short")
def _weekday_global(d: date) -> str:
    return _weekday(d)
