"""Every real-time message the server sends, in one place.

/board  (contract): boards and window displays of an office; `state` on connect, then `called`,
                    plus `released` when a window finishes its ticket and `paused`/`resumed` for an
                    office-wide pause (extra events: clients of the contract may ignore them).
/ticket          : a citizen's phone following one ticket: `ticket` on connect and on each change.
/office          : staff screens (operator, dashboard) of an office: `queue` whenever it changes.
With REDIS_URL set, Socket.IO relays these through Redis, so every server process delivers them.
"""
from flask import request
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy import select

from scheduling import KYIV

from .extensions import db, socketio
from .models import Office, Ticket


def _room(office_code: str) -> str:
    return f"office:{office_code}"


def call_json(ticket: Ticket, recall: bool = False) -> dict:
    body = {"number": ticket.number, "window": ticket.window.number if ticket.window else None,
            "service": ticket.service.code, "called_at": ticket.called_at.astimezone(KYIV).isoformat(),
            "ticket_id": ticket.id}
    if recall:
        body["recall"] = True
    return body


def board_state(office: Office) -> dict:
    from . import clock
    rows = db.session.scalars(
        select(Ticket).where(Ticket.office_id == office.id, Ticket.day == clock.now().date(),
                             Ticket.called_at.is_not(None), Ticket.window_id.is_not(None))
        .order_by(Ticket.called_at.desc(), Ticket.id.desc()).limit(8)).all()
    state = {"office": office.code, "calls": [call_json(t) for t in rows]}
    if office.paused_reason:
        state["paused"] = office.paused_reason
    return state


def ticket_json(ticket: Ticket) -> dict:
    from .estimates import ticket_estimate
    pos, wait = ticket_estimate(ticket)
    return {"id": ticket.id, "number": ticket.number, "service": ticket.service.code, "status": ticket.status,
            "window": ticket.window.number if ticket.window else None, "position": pos,
            "estimated_wait_min": wait, "office": ticket.office.code}


def _office_from_query() -> Office | None:
    code = request.args.get("office", "")
    return db.session.scalar(select(Office).where(Office.code == code)) if code else None


@socketio.on("connect", namespace="/board")
def board_connect(_auth=None):
    office = _office_from_query()
    if office is None:
        return False  # refuse: unknown office
    join_room(_room(office.code))
    socketio.emit("state", board_state(office), to=request.sid, namespace="/board")
    db.session.remove()


@socketio.on("connect", namespace="/ticket")
def ticket_connect(_auth=None):
    ticket_id = request.args.get("ticket", "")
    ticket = db.session.get(Ticket, int(ticket_id)) if ticket_id.isdigit() else None
    if ticket is None:
        return False
    join_room(f"ticket:{ticket.id}")
    socketio.emit("ticket", ticket_json(ticket), to=request.sid, namespace="/ticket")
    db.session.remove()


@socketio.on("connect", namespace="/office")
def office_connect(_auth=None):
    office = _office_from_query()
    if office is None or not current_user.is_authenticated or not current_user.may_manage(office):
        return False  # staff only, and only their own office
    join_room(_room(office.code))
    db.session.remove()


def ticket_called(ticket: Ticket, call: dict) -> None:
    """`call` is call_json(ticket) made before the commit; boards get it first, then the rest."""
    socketio.emit("called", call, to=_room(ticket.office.code), namespace="/board")
    ticket_changed(ticket)
    queue_changed(ticket.office)


def window_released(ticket: Ticket, window_number: int) -> None:
    socketio.emit("released", {"office": ticket.office.code, "window": window_number, "ticket_id": ticket.id},
                  to=_room(ticket.office.code), namespace="/board")


def ticket_changed(ticket: Ticket) -> None:
    socketio.emit("ticket", ticket_json(ticket), to=f"ticket:{ticket.id}", namespace="/ticket")


def queue_changed(office: Office) -> None:
    """Staff screens re-read the queue on this nudge; it carries no personal data."""
    socketio.emit("queue", {"office": office.code}, to=_room(office.code), namespace="/office")


def office_paused(office: Office) -> None:
    if office.paused_reason:
        socketio.emit("paused", {"office": office.code, "reason": office.paused_reason},
                      to=_room(office.code), namespace="/board")
    else:
        socketio.emit("resumed", {"office": office.code}, to=_room(office.code), namespace="/board")
    queue_changed(office)
