"""Managers' and staff pages: QR posters, no-shows per phone, cases."""
import io

import segno
from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..bookings import (
    block_phone,
    forgive_phone,
    no_show_report,
    normalise_phone,
    setting,
)
from ..cases import create_case, find_case, parse_code, set_status, status_label
from ..errors import ApiError
from ..extensions import db
from ..links import public_url
from ..models import CASE_STATUSES, Case, Office, Service
from ..notify import mask_phone
from ..staff_auth import roles_required
from .common import _bookable_services, _office, _service, bp
from .steps import _offices

# ---------------------------------------------------------------- managers: posters and no-shows

def _poster_url(office: Office, service: Service | None) -> str:
    path = url_for("booking.book", office=office.code, service=service.code) if service else \
        url_for("booking.book", office=office.code)
    return public_url(path)


def _poster_target():
    office = _office(request.args.get("office"))
    if office is None:
        abort(404)
    service = None
    if request.args.get("service"):
        service = _service(request.args.get("service"))
        if service is None or service not in _bookable_services(office):
            abort(404)
    return office, service


@bp.get("/book/posters")
@roles_required("manager", "admin")
def posters():
    offices = _offices() if current_user.role == "admin" else [current_user.office]
    return render_template("booking/posters.html", offices=[(o, _bookable_services(o)) for o in offices if o])


@bp.get("/book/poster")
@roles_required("manager", "admin")
def poster():
    office, service = _poster_target()
    link = _poster_url(office, service)
    qr = segno.make(link, error="q")
    return render_template("booking/poster.html", office=office, service=service, link=link,
                           qr_svg=qr.svg_inline(scale=12, title=link))


@bp.get("/book/poster.<kind>")
@roles_required("manager", "admin")
def poster_file(kind: str):
    if kind not in ("svg", "png"):
        abort(404)
    office, service = _poster_target()
    buf = io.BytesIO()
    segno.make(_poster_url(office, service), error="q").save(buf, kind=kind, scale=16, border=4)
    name = f"qr-{office.code}" + (f"-{service.code}" if service else "") + f".{kind}"
    return Response(buf.getvalue(), mimetype="image/svg+xml" if kind == "svg" else "image/png",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/book/no-shows")
@roles_required("manager", "admin")
def no_shows():
    office_id = None if current_user.role == "admin" else current_user.office_id
    rows = no_show_report(office_id=office_id)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return {"limit": setting("NO_SHOW_LIMIT"), "window_days": setting("NO_SHOW_WINDOW_DAYS"),
                "block_days": setting("NO_SHOW_BLOCK_DAYS"),
                "phones": [{k: v for k, v in r.items() if k != "phone"} | {"phone": r["phone_masked"]} for r in rows]}
    return render_template("booking/no_shows.html", rows=rows, limit=setting("NO_SHOW_LIMIT"),
                           window_days=setting("NO_SHOW_WINDOW_DAYS"), block_days=setting("NO_SHOW_BLOCK_DAYS"))


@bp.post("/book/no-shows")
@roles_required("manager", "admin")
def no_shows_action():
    try:
        phone = normalise_phone(request.form.get("phone", ""))
    except ApiError as err:
        return render_template("booking/message.html", title=_("Помилка"), message=err.message,
                               back=url_for("booking.no_shows")), 422
    action = request.form.get("action")
    if action == "forgive":
        forgive_phone(phone, current_user.id)
    elif action == "block":
        block_phone(phone, setting("NO_SHOW_BLOCK_DAYS"), current_user.id)
    else:
        return render_template("booking/message.html", title=_("Помилка"), message=_("Невідома дія."),
                               back=url_for("booking.no_shows")), 422
    return redirect(url_for("booking.no_shows"))


# ---------------------------------------------------------------- staff: cases

@bp.route("/cases", methods=["GET", "POST"])
@roles_required("operator", "manager", "admin")
def cases():
    offices = _offices() if current_user.role == "admin" else [current_user.office]
    services = list(db.session.scalars(select(Service).order_by(Service.name)).all())
    error, status_code, created = None, 200, None
    if request.method == "POST":
        office = _office(request.form.get("office"))
        service = _service(request.form.get("service"))
        raw_phone = request.form.get("phone", "").strip()
        try:
            if office is None or office not in offices:
                raise ApiError(422, "unknown_office", _("Оберіть офіс зі списку."))
            if service is None:
                raise ApiError(422, "unknown_service", _("Оберіть послугу зі списку."))
            phone = normalise_phone(raw_phone) if raw_phone else None
            created = create_case(office, service, phone, staff_id=current_user.id)
        except ApiError as err:
            error, status_code = err.message, err.status
    query = select(Case).order_by(Case.updated_at.desc()).limit(100)
    if current_user.role != "admin":
        query = query.where(Case.office_id == current_user.office_id)
    rows = db.session.scalars(query).all()
    return render_template("status/cases.html", rows=rows, offices=offices, services=services, error=error,
                           created=created, statuses=CASE_STATUSES, label=status_label, mask=mask_phone), status_code


@bp.post("/cases/<code>/status")
@roles_required("operator", "manager", "admin")
def case_status(code: str):
    try:
        case = find_case(parse_code(code))
        if not current_user.may_manage(case.office):
            abort(403)
        set_status(case, request.form.get("status"), staff_id=current_user.id)
    except ApiError as err:
        return render_template("booking/message.html", title=_("Не вдалося змінити стан справи"),
                               message=err.message, back=url_for("booking.cases")), err.status
    return redirect(url_for("booking.cases"))


@bp.after_request
def _private(response):
    # Pages with a code, a token or personal data are never cached by a proxy.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


