"""Reading request input; every failure becomes the contract's 400/422 JSON."""
from datetime import date, time

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..models import Office, Service


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", _("Очікується JSON-об'єкт у тілі запиту."))
    return body


def parse_date(value, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ApiError(400 if value is None else 422, "invalid_date",
                       _("Поле «%(name)s» має бути датою у форматі РРРР-ММ-ДД.", name=name)) from None


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
