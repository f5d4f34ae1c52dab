"""The service catalogue built from the centre's information cards."""
from flask import jsonify, request
from sqlalchemy import select

from ..extensions import db
from ..models import OfficeService, Service
from . import bp
from .params import office_or_404, service_or_404


def service_json(service: Service, bookable: bool) -> dict:
    return {"code": service.code, "name": service.name, "category": service.category.code,
            "duration_min": service.duration_min, "bookable": bookable, "name_en": service.name_en,
            "letter": service.ticket_letter, "card": service.card, "provider": service.provider,
            **{k: service.card_data.get(k) for k in ("fee", "term", "documents", "result_delivery")}}


@bp.get("/services")
def services():
    code = request.args.get("office")
    if code is None:
        rows = db.session.scalars(select(Service).order_by(Service.id)).all()
        return jsonify([service_json(s, True) for s in rows])
    office = office_or_404(code)
    rows = db.session.execute(
        select(Service, OfficeService.bookable).join(OfficeService, OfficeService.service_id == Service.id)
        .where(OfficeService.office_id == office.id).order_by(Service.id)).all()
    return jsonify([service_json(s, bookable) for s, bookable in rows])


@bp.get("/services/<code>")
def service(code: str):
    s = service_or_404(code)
    return jsonify({**service_json(s, True), "card_data": s.card_data})
