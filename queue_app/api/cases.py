"""Cases (справи) through the API: staff create them and change their status; anyone reads a status by code."""
from flask import g, jsonify
from flask_babel import gettext as _

from ..bookings import normalise_phone
from ..cases import create_case, find_case, parse_code, public_json, set_status
from ..errors import ApiError
from ..extensions import limiter
from .auth import require_staff
from . import bp
from .params import json_body, office_or_404, required_str, service_or_404

STAFF = ("operator", "manager", "admin")


def _may(office) -> None:
    if not g.staff.may_manage(office):
        raise ApiError(403, "forbidden", _("Ця справа належить іншому офісу."))


@bp.post("/cases")
@require_staff(*STAFF)
def post_case():
    body = json_body()
    office = office_or_404(required_str(body, "office", 40))
    _may(office)
    service = service_or_404(required_str(body, "service", 40), status=422)
    # Absent, null or "" means none; anything else present is checked ([] or 0 is not "no phone").
    phone = normalise_phone(body["phone"]) if body.get("phone") not in (None, "") else None
    code = parse_code(body["code"]) if body.get("code") not in (None, "") else None
    case = create_case(office, service, phone, staff_id=g.staff.id, code=code)
    return jsonify(public_json(case)), 201


@bp.post("/cases/<code>/status")
@require_staff(*STAFF)
def post_case_status(code: str):
    body = json_body()
    case = find_case(parse_code(code))
    _may(case.office)
    set_status(case, required_str(body, "status", 20), staff_id=g.staff.id)
    return jsonify(public_json(case))


@bp.get("/cases/<code>")
@limiter.limit("20 per minute; 200 per day")
def get_case(code: str):
    """Public, like the site's «Перевір стан документу/справи»: status and where to pick up, nothing personal."""
    return jsonify(public_json(find_case(parse_code(code))))
