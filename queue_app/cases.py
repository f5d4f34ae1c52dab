"""Cases (справи): what a citizen applied for, and its status. «Ready» texts the citizen.

The SMS is written to the outbox in the same transaction as the status, so the two never disagree:
either the case is ready and the message waits to be sent, or neither happened.
"""
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from . import clock, notify
from .errors import ApiError
from .extensions import db
from .models import CASE_STATUSES, Case, Event, Office, Service

FINAL = ("issued", "refused")


def status_label(status: str) -> str:
    return {
        "accepted": _("Прийнято до розгляду"),
        "in_progress": _("На опрацюванні"),
        "ready": _("Документи готові, їх можна отримати"),
        "issued": _("Результат видано"),
        "refused": _("Відмовлено; зверніться до центру за поясненням"),
    }.get(status, status)


def parse_code(raw) -> str:
    code = raw.strip().lstrip("№#").strip() if isinstance(raw, str) else ""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):  # isdigit alone takes "²" and Arabic digits
        raise ApiError(422, "invalid_code", _("Код справи — шість цифр, наприклад 123456."))
    return code


def find_case(code: str) -> Case:
    case = db.session.scalar(select(Case).where(Case.code == code))
    if case is None:
        raise ApiError(404, "unknown_case", _("Справу з таким кодом не знайдено. Перевірте код."))
    return case


def _new_code() -> str:
    while True:
        code = f"{secrets.randbelow(900_000) + 100_000:06d}"
        if db.session.scalar(select(Case.id).where(Case.code == code)) is None:
            return code


def create_case(office: Office, service: Service, phone: str | None, staff_id: int | None = None,
                code: str | None = None) -> Case:
    if code is not None and db.session.scalar(select(Case.id).where(Case.code == code)) is not None:
        raise ApiError(409, "case_exists", _("Справа з таким кодом уже є."))
    now = clock.now()
    case = Case(code=code or _new_code(), office_id=office.id, service_id=service.id, phone=phone,
                status="accepted", created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    db.session.add(Event(office_id=office.id, kind="case_created", service_id=service.id, staff_id=staff_id,
                         data={"case": case.code}))
    db.session.commit()
    return case


def set_status(case: Case, status, staff_id: int | None = None) -> Case:
    """Change the status; entering «ready» queues the «documents ready» SMS in the same transaction."""
    if status not in CASE_STATUSES:
        raise ApiError(422, "invalid_status", _("Невідомий стан справи. Допустимі: %(values)s.",
                                                values=", ".join(CASE_STATUSES)))
    if case.status in FINAL and status != case.status:
        raise ApiError(409, "case_closed", _("Справу вже закрито; її стан не змінюється."))
    if status == case.status:
        return case
    previous, case.status, case.updated_at = case.status, status, clock.now()
    db.session.add(Event(office_id=case.office_id, kind="case_status", service_id=case.service_id,
                         staff_id=staff_id, data={"case": case.code, "from": previous, "to": status}))
    if status == "ready":
        notify.enqueue("documents_ready", case.phone, notify.text_documents_ready(case), case_id=case.id)
    db.session.commit()
    return case


def public_json(case: Case) -> dict:
    """What anyone with the code may see: no name, no phone."""
    body = {"code": case.code, "status": case.status, "status_text": status_label(case.status),
            "service": case.service.code, "office": case.office.code, "updated_at": case.updated_at.isoformat()}
    if case.status == "ready":
        body["pickup"] = {"office": case.office.code, "name": case.office.name, "address": case.office.address,
                          "cabinet": case.office.cabinet}
    return body
