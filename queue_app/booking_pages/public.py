"""Public pages: the «documents ready» link and «Перевір стан документу/справи»."""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..bookings import case_for_link
from ..cases import find_case, parse_code, status_label
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import OfficeService
from .common import _service, bp

# ---------------------------------------------------------------- the «documents ready» link

@bp.get("/r/<case_code>/<signature>")
@limiter.limit("30 per minute")
def ready_link(case_code: str, signature: str):
    case = case_for_link(case_code, signature)
    if case is None:
        return render_template("booking/message.html", title=_("Посилання недійсне"), message=_(
            "Посилання недійсне або документи вже видано. Перевірте стан справи за кодом."),
            back=url_for("booking.status")), 404
    return redirect(url_for("booking.book", case=case.code, sig=signature))


# ---------------------------------------------------------------- «Перевір стан документу/справи»

@bp.get("/status")
@limiter.limit("10 per minute; 100 per day", exempt_when=lambda: not request.args.get("code"))
def status():
    raw = request.args.get("code")
    if raw is None:
        return render_template("status/status.html", case=None, code="")
    try:
        case = find_case(parse_code(raw[:20]))
    except ApiError as err:
        return render_template("status/status.html", case=None, code=raw[:20], error=err.message), err.status
    pickup_link = None
    if case.status == "ready":
        pickup = _service("pickup")
        terms = db.session.get(OfficeService, (case.office_id, pickup.id)) if pickup else None
        if terms is not None and terms.bookable:
            pickup_link = url_for("booking.book", office=case.office.code, service="pickup")
    return render_template("status/status.html", case=case, code=case.code, label=status_label(case.status),
                           pickup_link=pickup_link)
