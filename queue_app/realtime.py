"""Every real-time message the server sends, in one place.

/board  (contract): boards and window displays of an office; `state` on connect, then `called`,
                    plus `released` when a window finishes its ticket and `paused`/`resumed` for an
                    office-wide pause (extra events: clients of the contract may ignore them).
/ticket          : a citizen's phone following one ticket: `ticket` on connect and on each change.
/office          : staff screens (operator, dashboard) of an office: `queue` whenever it changes.
With REDIS_URL set, Socket.IO relays these through Redis, so every server process delivers them.
"""
import logging

from flask import request
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from scheduling import KYIV

from .errors import MAX_ROW_ID
from .extensions import db, socketio
from .models import Office, Ticket
from .models.queue import ticket_number

log = logging.getLogger(__name__)


def _room(office_code: str) -> str:
    return f"office:{office_code}"


def call_json(ticket, recall: bool = False, service: str | None = None, window: int | None = None) -> dict:
    """A call as boards get it. `ticket`: a Ticket, or a row with its id, letter, seq and called_at, when
    the caller passes the service code and the window number it already has."""
    body = {"number": ticket_number(ticket.letter, ticket.seq), "window": window or (ticket.window.number if ticket.window else None),
            "service": service or ticket.service.code, "called_at": ticket.called_at.astimezone(KYIV).isoformat(),
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


def ticket_json(ticket: Ticket, estimate: tuple[int, int] | None = None) -> dict:
    """The contract's ticket; `estimate` (position, wait) when the caller already knows it."""
    from .estimates import ticket_estimate
    pos, wait = estimate or ticket_estimate(ticket)
    return ticket_message(ticket.id, ticket.number, ticket.service.code, ticket.status,
                          ticket.window.number if ticket.window else None, ticket.office.code, ticket.rev, pos, wait)


def ticket_message(ticket_id: int, number: str, service: str, status: str, window: int | None, office_code: str,
                   rev: int, position: int = 0, wait: int = 0) -> dict:
    """The ticket's message; without `position` and `wait`, of a ticket a call has just called or closed,
    made from what the call has at hand: nobody is ahead of it, and nothing is read again."""
    return {"id": ticket_id, "number": number, "service": service, "status": status, "window": window,
            "position": position, "estimated_wait_min": wait, "office": office_code, "rev": rev}


def called_ticket_json(call: dict, office_code: str, rev: int) -> dict:
    """The called ticket's message, from its board message (call_json) and the revision the call gave it."""
    return ticket_message(call["ticket_id"], call["number"], call["service"], "called", call["window"], office_code, rev)


def closed_ticket_json(row, service: str, window: int, office_code: str) -> dict:
    """The message of a ticket "Next" closed, from the row its UPDATE returned."""
    return ticket_message(row.id, ticket_number(row.letter, row.seq), service, row.status, window, office_code, row.rev)


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
    # isascii: isdigit alone takes "²", which int() refuses; past MAX_ROW_ID the query would overflow.
    known = ticket_id.isascii() and ticket_id.isdigit() and int(ticket_id) <= MAX_ROW_ID
    ticket = db.session.get(Ticket, int(ticket_id)) if known else None
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


@socketio.on_error_default
def _database_down(err: Exception):
    """A locked or unreachable database while a screen connects: refuse it (it tries again by itself, and
    boards poll meanwhile) with one line in the log, as pages answer 503. Anything else keeps its stack."""
    if not isinstance(err, OperationalError):
        raise err
    log.error("database unavailable on Socket.IO %s: %s", request.namespace, type(err.orig).__name__)
    db.session.remove()
    return False


def ticket_called(office_code: str, call: dict) -> None:
    """`call` (call_json) goes to the boards the moment the call is committed, before anything else."""
    socketio.emit("called", call, to=_room(office_code), namespace="/board")
    # Boards on a websocket have it already (broadcast.py); let the writers of the others (long polling,
    # a busy socket) send it too before what follows reads the database.
    socketio.sleep(0)


def window_released(ticket: Ticket, window_number: int) -> None:
    socketio.emit("released", {"office": ticket.office.code, "window": window_number, "ticket_id": ticket.id},
                  to=_room(ticket.office.code), namespace="/board")


def ticket_changed(ticket, body: dict | None = None) -> None:
    """The ticket page's update: `body` is ticket_json(ticket) when the caller has it made already."""
    socketio.emit("ticket", body or ticket_json(ticket), to=f"ticket:{ticket.id}", namespace="/ticket")


def queue_changed(office_code: str) -> None:
    """Staff screens re-read the queue on this nudge; it carries no personal data."""
    socketio.emit("queue", {"office": office_code}, to=_room(office_code), namespace="/office")


def office_paused(office: Office) -> None:
    if office.paused_reason:
        socketio.emit("paused", {"office": office.code, "reason": office.paused_reason},
                      to=_room(office.code), namespace="/board")
    else:
        socketio.emit("resumed", {"office": office.code}, to=_room(office.code), namespace="/board")
    queue_changed(office.code)
