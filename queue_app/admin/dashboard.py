"""The live dashboard: an office (/admin/dashboard/<office>) and the whole city (/admin/dashboard).
The page reads its JSON endpoint, then again on every `queue` nudge of the /office Socket.IO
namespace (and every 30 s, in case the socket is down). No personal data in either."""
from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import clock, notify
from ..extensions import db
from ..models import Booking, Office, Outbox
from ..privacy import mask_name, mask_phone
from ..reports import live_city, live_office
from . import bp
from .access import audit, is_admin, office_by_code, require_office, visible_offices
from .forms import AdminForm

SMS_KINDS = {"booking_confirmed": _l("підтвердження запису"), "reminder": _l("нагадування про запис"),
             "booking_cancelled": _l("скасування запису"), "documents_ready": _l("документи готові")}


@bp.get("/dashboard")
def city():
    if not is_admin():
        return redirect(url_for("admin.office_dashboard", code=current_user.office.code))
    return render_template("admin/city.html", offices=visible_offices())


@bp.get("/dashboard/data.json")
def city_data():
    return jsonify(live_city(visible_offices(), clock.now()))


@bp.get("/dashboard/<code>")
def office_dashboard(code: str):
    office = office_by_code(code)
    now = clock.now()
    # Today's bookings, for the manager at the door: initials and a masked phone are enough.
    bookings = db.session.execute(select(Booking.start, Booking.status, Booking.name, Booking.phone, Booking.code)
                                  .where(Booking.office_id == office.id, Booking.day == now.date(),
                                         Booking.status.in_(("booked", "checked_in", "done", "no_show")))
                                  .order_by(Booking.start).limit(200)).all()
    rows = [{"start": b.start.strftime("%H:%M"), "status": b.status, "name": mask_name(b.name),
             "phone": mask_phone(b.phone), "code": "***" + b.code[-3:]} for b in bookings]
    # The SMS given up on: the kind, a masked phone and the error's type only (a gateway's text may quote
    # the message).
    undelivered = [{"id": m.id, "created_at": m.created_at, "kind": SMS_KINDS.get(m.kind, m.kind),
                    "phone": mask_phone(m.phone), "attempts": m.attempts,
                    "error": (m.last_error or "").split(":", 1)[0]} for m in notify.undelivered(office.id, now)]
    return render_template("admin/dashboard.html", office=office, bookings=rows, undelivered=undelivered,
                           undelivered_days=notify.UNDELIVERED_DAYS, form=AdminForm())


@bp.post("/dashboard/<code>/sms/<int:message_id>/again")
def sms_again(code: str, message_id: int):
    """A manager sends an undelivered SMS again (once the gateway, or the phone, answers again)."""
    office = office_by_code(code)
    if not AdminForm().validate_on_submit():
        abort(400)
    message = db.session.get(Outbox, message_id)
    owner = notify.office_id_of(message) if message is not None else None
    require_office(db.session.get(Office, owner) if owner is not None else None)  # another office's: 403
    if owner != office.id:
        abort(404)
    found = notify.undelivered(office.id, clock.now(), message_id)
    if not found:  # sent again from another page already, or too old to list
        flash(_("Це повідомлення вже не очікує повторного надсилання."), "error")
        return redirect(url_for("admin.office_dashboard", code=office.code), 303)
    notify.send_again(found[0])
    audit("sms_again", "outbox", message_id, f"Повторне надсилання SMS ({found[0].kind})", office.id)
    db.session.commit()
    flash(_("Повідомлення надішлеться протягом хвилини."), "ok")
    return redirect(url_for("admin.office_dashboard", code=office.code), 303)


@bp.get("/dashboard/<code>/data.json")
def office_data(code: str):
    return jsonify(live_office(office_by_code(code), clock.now()))
