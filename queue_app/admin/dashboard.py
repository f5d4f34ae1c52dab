"""The live dashboard: an office (/admin/dashboard/<office>) and the whole city (/admin/dashboard).
The page reads its JSON endpoint, then again on every `queue` nudge of the /office Socket.IO
namespace (and every 30 s, in case the socket is down). No personal data in either."""
from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import Booking
from ..privacy import mask_name, mask_phone
from ..reports import live_city, live_office
from . import bp
from .access import is_admin, office_by_code, visible_offices


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
    return render_template("admin/dashboard.html", office=office, bookings=rows)


@bp.get("/dashboard/<code>/data.json")
def office_data(code: str):
    return jsonify(live_office(office_by_code(code), clock.now()))
