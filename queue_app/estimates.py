"""Position in the queue and the estimated wait, from live service times and the windows open."""
import math
from datetime import timedelta

from sqlalchemy import bindparam, func, select

from . import clock
from .cache import cached
from .extensions import db
from .models import Office, Service, Ticket, Window, window_services
from .policy import call_order

RECENT = timedelta(days=7)
SAMPLE = 50  # the last this many services of a kind give its live mean


def service_minutes(office: Office, service: Service) -> float:
    """Mean minutes of the last services of this kind at this office; the card's duration before any."""
    return cached("service_minutes", (office.id, service.id), 30.0, lambda: _service_minutes(office, service))


def _service_minutes(office: Office, service: Service) -> float:
    since = clock.now() - RECENT
    rows = db.session.execute(
        select(Ticket.started_at, Ticket.finished_at)
        .where(Ticket.office_id == office.id, Ticket.service_id == service.id, Ticket.status == "done",
               Ticket.started_at.is_not(None), Ticket.finished_at > since)
        .order_by(Ticket.finished_at.desc()).limit(SAMPLE)).all()
    if not rows:
        return float(service.duration_min)
    return sum((b - a).total_seconds() for a, b in rows) / 60 / len(rows)


def windows_open(office: Office, service: Service) -> int:
    """Windows that serve the service now: staffed and not paused; all active ones if nobody has signed in."""
    return cached("windows_open", (office.id, service.id), 30.0, lambda: _windows_open(office, service))


def _windows_open(office: Office, service: Service) -> int:
    base = (select(func.count(Window.id)).join(window_services, window_services.c.window_id == Window.id)
            .where(Window.office_id == office.id, Window.active, window_services.c.service_id == service.id))
    staffed = db.session.scalar(base.where(Window.staff_id.is_not(None), Window.paused_reason.is_(None)))
    return staffed or db.session.scalar(base) or 1


_WAITING = select(func.count(Ticket.id)).where(  # built once: every ticket issued asks
    Ticket.office_id == bindparam("office"), Ticket.service_id == bindparam("service"), Ticket.day == bindparam("day"),
    Ticket.status == "waiting")


def waiting_count(office: Office, service: Service) -> int:
    return db.session.scalar(_WAITING, {"office": office.id, "service": service.id, "day": clock.now().date()})


def wait_minutes(office: Office, service: Service, ahead: int | None = None) -> int:
    """Minutes until a ticket with `ahead` people before it (default: a new ticket) is called."""
    ahead = waiting_count(office, service) if ahead is None else ahead
    return math.ceil(ahead * service_minutes(office, service) / windows_open(office, service))


def position(ticket: Ticket) -> int:
    """1 for the next to be called among those waiting for the same service; 0 once called."""
    if ticket.status != "waiting":
        return 0
    from .tickets import waiting_of  # the queue reads positions; positions read the queue
    services = frozenset({ticket.service.code})
    order = call_order(clock.now(), waiting_of(ticket.office_id, ticket.day, services), services)
    return next((i + 1 for i, t in enumerate(order) if t.id == ticket.id), len(order) + 1)


def ticket_estimate(ticket: Ticket) -> tuple[int, int]:
    """(position, estimated wait in minutes) of a ticket."""
    pos = position(ticket)
    return pos, (wait_minutes(ticket.office, ticket.service, pos - 1) if pos else 0)
