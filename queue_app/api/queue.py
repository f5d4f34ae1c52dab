"""The live queue of an office as staff screens see it (no personal data in it)."""
from datetime import timedelta

from flask import g, jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..errors import ApiError
from ..extensions import db
from ..models import Booking, Service, Ticket, Window
from ..policy import call_order
from ..tickets import waiting_of
from . import bp
from .auth import require_staff
from .params import office_or_404


@bp.get("/offices/<code>/queue")
@require_staff("operator", "manager", "admin")
def office_queue(code: str):
    office = office_or_404(code)
    if not g.staff.may_manage(office):
        raise ApiError(403, "forbidden", _("Це інший офіс."))
    now = clock.now()
    tickets = {t.id: t for t in db.session.scalars(
        select(Ticket).where(Ticket.office_id == office.id, Ticket.day == now.date(),
                             Ticket.status.in_(("waiting", "called", "serving"))))}
    every_service = frozenset(t.service.code for t in tickets.values())
    order = call_order(now, waiting_of(office.id, now.date()), every_service)
    waiting = [{"id": w.id, "number": tickets[w.id].number, "service": w.service,
                "waited_min": int((now - w.arrived_at).total_seconds() // 60), "priority": w.priority,
                "category": tickets[w.id].priority,
                "booked_at": w.booked_at.strftime("%H:%M") if w.booked_at else None} for w in order]
    windows = [{"id": w.id, "number": w.number, "paused_reason": w.paused_reason, "staffed": w.staff_id is not None,
                "services": [s.code for s in w.services],
                "ticket": next(({"id": t.id, "number": t.number, "status": t.status, "service": t.service.code}
                                for t in tickets.values() if t.window_id == w.id and t.status != "waiting"), None)}
               for w in db.session.scalars(select(Window).where(Window.office_id == office.id, Window.active)
                                           .order_by(Window.number))]
    hour = (now + timedelta(hours=1)).time()
    arrivals = db.session.execute(
        select(Booking.start, Booking.status, Booking.service_id, Booking.code)
        .where(Booking.office_id == office.id, Booking.day == now.date(), Booking.start >= now.time(),
               Booking.start <= hour, Booking.status.in_(("booked", "checked_in"))).order_by(Booking.start)).all()
    codes = dict(db.session.execute(select(Service.id, Service.code)).all())
    return jsonify(office=office.code, paused_reason=office.paused_reason, waiting=waiting, windows=windows,
                   arrivals=[{"start": a.start.strftime("%H:%M"), "status": a.status, "service": codes[a.service_id],
                              "code": "***" + a.code[-3:]} for a in arrivals])
