"""Offices, their schedules and windows."""
from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..calendars import schedule_json
from ..errors import ApiError
from ..extensions import db
from ..models import Office
from . import bp
from .params import office_or_404, parse_date

MAX_SCHEDULE_DAYS = 366


@bp.get("/offices")
def offices():
    rows = db.session.scalars(select(Office).order_by(Office.id)).all()
    return jsonify([{"code": o.code, "name": o.name, "address": o.address, "kind": o.kind,
                     "name_en": o.name_en, "cabinet": o.cabinet, "paused": o.paused_reason is not None}
                    for o in rows])


@bp.get("/offices/<code>")
def office(code: str):
    o = office_or_404(code)
    return jsonify({"code": o.code, "name": o.name, "address": o.address, "kind": o.kind,
                    "name_en": o.name_en, "cabinet": o.cabinet, "paused_reason": o.paused_reason})


@bp.get("/offices/<code>/schedule")
def schedule(code: str):
    office = office_or_404(code)
    d_from = parse_date(request.args.get("from"), "from")
    d_to = parse_date(request.args.get("to"), "to")
    if d_to < d_from:
        raise ApiError(422, "invalid_range", _("Дата «to» раніша за «from»."))
    if (d_to - d_from).days + 1 > MAX_SCHEDULE_DAYS:
        raise ApiError(422, "range_too_long", _("Не більше %(n)d днів за один запит.", n=MAX_SCHEDULE_DAYS))
    return jsonify(schedule_json(office, d_from, d_to))


@bp.get("/offices/<code>/windows")
def windows(code: str):
    office = office_or_404(code)
    return jsonify([{"id": w.id, "number": w.number, "services": [s.code for s in w.services]}
                    for w in office.windows if w.active])
