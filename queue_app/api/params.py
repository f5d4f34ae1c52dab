"""Reading request input; every failure becomes the contract's 400/422 JSON."""
import re
from datetime import date, time

from flask import request
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, select

from ..calendars import FIRST_DATE, LAST_DATE
from ..errors import MAX_ROW_ID, ApiError
from ..extensions import db
from ..models import Office, OfficeService, Service


# A NUL cannot be stored in PostgreSQL text, a lone surrogate cannot be encoded as UTF-8: either would fail
# deep in a query or a log line, so a body that carries one is refused at the door.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def json_body() -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser's stack: nobody means that
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", _("Очікується JSON-об'єкт у тілі запиту."))
    if _has_unstorable_text(body):
        raise ApiError(400, "malformed", _("Запит містить недопустимі символи."))
    return body


def _has_unstorable_text(value) -> bool:
    # A loop, not recursion: the parser allows nesting deeper than the stack left to this function.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def is_row_id(value) -> bool:
    """An id in a JSON body: an integer (not a bool) an id column can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def parse_date(value, name: str) -> date:
    try:
        d = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ApiError(400 if value is None else 422, "invalid_date",
                       _("Поле «%(name)s» має бути датою у форматі РРРР-ММ-ДД.", name=name)) from None
    if not FIRST_DATE <= d <= LAST_DATE:
        raise ApiError(422, "date_out_of_range", _("Поле «%(name)s»: дата має бути між %(first)s і %(last)s.",
                                                   name=name, first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()))
    return d


def parse_time(value, name: str) -> time:
    try:
        if not isinstance(value, str) or len(value) != 5:
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_time", _("Поле «%(name)s» має бути часом у форматі ГГ:ХХ.", name=name)) from None


def required_str(body: dict, name: str, max_len: int = 200) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "missing_field", _("Поле «%(name)s» обов'язкове.", name=name))
    if len(value) > max_len:
        raise ApiError(422, "too_long", _("Поле «%(name)s» задовге.", name=name))
    return value.strip()


def office_or_404(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise ApiError(404, "unknown_office", _("Офіс «%(code)s» не знайдено.", code=code[:40]))
    return office


def service_or_404(code, status: int = 404) -> Service:
    service = db.session.scalar(select(Service).where(Service.code == code)) if isinstance(code, str) else None
    if service is None:
        raise ApiError(status, "unknown_service", _("Послугу «%(code)s» не знайдено.", code=str(code)[:40]))
    return service


# The kiosk's hottest read: the office, the service and the office's terms for it in one statement,
# built once. The terms land in the session's identity map, so issuing finds them without a query.
_OFFER = (select(Office, Service, OfficeService).select_from(Office)
          .join(Service, Service.code == bindparam("service"))
          .outerjoin(OfficeService, and_(OfficeService.office_id == Office.id, OfficeService.service_id == Service.id))
          .where(Office.code == bindparam("office")))


def offer_or_404(office_code: str, service_code, status: int = 404) -> tuple[Office, Service, OfficeService | None]:
    """(office, service, the office's terms for it or None). Keep the terms referenced while issuing: the
    session's identity map holds objects weakly, and an unreferenced one would be queried again."""
    row = db.session.execute(_OFFER, {"office": office_code, "service": service_code}).first() \
        if isinstance(service_code, str) else None
    if row is None:  # one of them is unknown: say which
        return office_or_404(office_code), service_or_404(service_code, status), None
    return row[0], row[1], row[2]
