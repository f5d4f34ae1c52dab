"""Tickets, windows and the board of the contract; staff actions need a bearer token."""
from flask import g, jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from .. import tickets
from ..errors import ApiError
from ..extensions import db, limiter
from ..links import ticket_status_url
from ..models import PriorityCategory, Ticket, Window
from ..realtime import board_state, ticket_json
from . import bp
from .auth import require_staff
from .params import is_row_id, json_body, offer_or_404, office_or_404, service_or_404

STAFF = ("operator", "manager", "admin")
# The calls the boards wait on: they carry no rate limit (they need a staff token), so create_app spares
# them Flask-Limiter's check (extensions.spare_from_limits).
WITHOUT_LIMITS = frozenset({"api.call_next", "api.call_specific", "api.ticket_action"})


@bp.post("/offices/<code>/tickets")
@limiter.limit("120 per minute")
def issue(code: str):
    body = json_body()
    note = None
    if "booking_code" in body:
        issued, note = tickets.check_in(office_or_404(code), _six_digits(body["booking_code"]))
    elif "case_code" in body:
        issued = tickets.pickup_by_case(office_or_404(code), _six_digits(body["case_code"]))
    else:
        office, service, _terms = offer_or_404(code, body.get("service"), status=422)
        issued = tickets.issue_ticket(office, service)
    receipt = {**issued.receipt, "status_url": ticket_status_url(issued.receipt["id"])}
    if note:
        receipt["note"] = note
    return jsonify(receipt), 201


def _six_digits(value) -> str:
    if not isinstance(value, str) or not (len(value) == 6 and value.isdigit()):
        raise ApiError(422, "invalid_code", _("Код — шість цифр."))
    return value


def ticket_or_404(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise ApiError(404, "unknown_ticket", _("Талон не знайдено."))
    return ticket


@bp.get("/tickets/<int:ticket_id>")
def get_ticket(ticket_id: int):
    return jsonify(ticket_json(ticket_or_404(ticket_id)))


@bp.get("/offices/<code>/board")
def board(code: str):
    return jsonify(board_state(office_or_404(code)))


def _own_window(window_id: int) -> Window:
    return _checked_window(db.session.get(Window, window_id))


def _checked_window(window: Window | tickets.WindowRef | None) -> Window | tickets.WindowRef:
    if window is None:
        raise ApiError(404, "unknown_window", _("Вікно не знайдено."))
    if not g.staff.may_manage(window.office_id):
        raise ApiError(403, "forbidden", _("Це вікно іншого офісу."))
    return window


def _own_ticket(ticket_id: int) -> Ticket:
    ticket = ticket_or_404(ticket_id)
    if not g.staff.may_manage(ticket.office):
        raise ApiError(403, "forbidden", _("Цей талон іншого офісу."))
    return ticket


@bp.post("/windows/<int:window_id>/call-next")
@require_staff(*STAFF)
def call_next(window_id: int):
    # The window as a row, not the Window: the boards wait on this request.
    called = tickets.call_next(_checked_window(tickets.window_ref(window_id)), g.staff.id)
    if called is None:
        return "", 204
    return jsonify(ticket=called.json)


@bp.post("/windows/<int:window_id>/call/<int:ticket_id>")
@require_staff(*STAFF)
def call_specific(window_id: int, ticket_id: int):
    return jsonify(ticket=tickets.call_ticket(_own_window(window_id), _own_ticket(ticket_id), g.staff.id).json)


@bp.post("/tickets/<int:ticket_id>/<any(recall, start, complete, 'no-show'):action>")
@require_staff(*STAFF)
def ticket_action(ticket_id: int, action: str):
    step = {"recall": tickets.recall, "start": tickets.start, "complete": tickets.complete,
            "no-show": tickets.no_show}[action]
    return jsonify(ticket=ticket_json(step(_own_ticket(ticket_id), g.staff.id)))


@bp.post("/tickets/<int:ticket_id>/transfer")
@require_staff(*STAFF)
def transfer(ticket_id: int):
    ticket, body = _own_ticket(ticket_id), json_body()
    if ("service" in body) == ("window" in body):
        raise ApiError(422, "service_or_window", _("Вкажіть або послугу, або вікно."))
    if "window" in body:
        if not is_row_id(body["window"]):
            raise ApiError(422, "invalid_window", _("Вікно задається його номером-ідентифікатором."))
        moved = tickets.transfer(ticket, window=_own_window(body["window"]), staff_id=g.staff.id)
    else:
        moved = tickets.transfer(ticket, service=service_or_404(body["service"], status=422), staff_id=g.staff.id)
    return jsonify(ticket=ticket_json(moved))


@bp.post("/tickets/<int:ticket_id>/priority")
@require_staff(*STAFF)
def priority(ticket_id: int):
    """{"category": "veteran"} marks a waiting ticket with a priority category; {"category": null} clears it."""
    ticket, body = _own_ticket(ticket_id), json_body()
    code = body.get("category", "")
    category = None
    if code is not None:
        category = db.session.scalar(select(PriorityCategory).where(
            PriorityCategory.code == code, PriorityCategory.active)) if isinstance(code, str) else None
        if category is None:
            raise ApiError(422, "unknown_category", _("Такої пріоритетної категорії немає."))
    return jsonify(ticket=ticket_json(tickets.set_priority(ticket, category, g.staff.id)))


def _reason(body: dict) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise ApiError(422, "invalid_reason", _("Вкажіть причину (до 200 символів)."))
    return reason.strip()


@bp.post("/windows/<int:window_id>/<any(pause, resume):action>")
@require_staff(*STAFF)
def window_pause(window_id: int, action: str):
    window = _own_window(window_id)
    tickets.set_window_pause(window, _reason(json_body()) if action == "pause" else None, g.staff.id)
    return jsonify(id=window.id, number=window.number, paused_reason=window.paused_reason)


@bp.post("/offices/<code>/<any(pause, resume):action>")
@require_staff("manager", "admin")
def office_pause(code: str, action: str):
    office = office_or_404(code)
    if not g.staff.may_manage(office):
        raise ApiError(403, "forbidden", _("Це інший офіс."))
    tickets.set_office_pause(office, _reason(json_body()) if action == "pause" else None, g.staff.id)
    return jsonify(office=office.code, paused_reason=office.paused_reason)
