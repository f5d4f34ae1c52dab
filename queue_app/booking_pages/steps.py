"""The booking steps: office → category → service → calendar → time → name and phone."""
from datetime import timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..bookings import (
    available_slots,
    bookable_days,
    clean_name,
    confirm_hold,
    hold_slot,
    normalise_phone,
    offered,
    setting,
    verify_phone,
)
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import Booking, Office, Service, ServiceCategory
from ..notify import mask_phone
from .common import (
    _bookable_services,
    _case_context,
    _held,
    _month_grid,
    _office,
    _parse_date,
    _parse_time,
    _remember_hold,
    _service,
    _weekday,
    bp,
)

# ---------------------------------------------------------------- the booking steps

@bp.get("/book")
@limiter.limit("120 per minute")
def book():
    case = _case_context()
    if request.args.get("case") and case is None:
        return render_template("booking/start.html", offices=_offices(), error=_(
            "Посилання недійсне або документи вже видано. Перевірте стан справи на сторінці «Перевір стан»."),
            step="office"), 404
    office = _office(case.office.code if case else request.args.get("office"))
    if request.args.get("office") and office is None:
        return render_template("booking/start.html", offices=_offices(), step="office",
                               error=_("Такого офісу немає. Оберіть офіс зі списку.")), 404
    if office is None:
        return render_template("booking/start.html", offices=_offices(), step="office")
    services = _bookable_services(office)
    service = _service("pickup" if case else request.args.get("service"))
    if request.args.get("service") and (service is None or service not in services):
        return render_template("booking/start.html", office=office, step="category", categories=_categories(services),
                               error=_("Ця послуга не надається за попереднім записом у цьому офісі. Оберіть іншу.")), 404
    if service is None:
        category = request.args.get("category")
        if category:
            chosen = [s for s in services if s.category.code == category]
            if not chosen:
                return render_template("booking/start.html", office=office, step="category",
                                       categories=_categories(services),
                                       error=_("Такої категорії немає. Оберіть зі списку.")), 404
            return render_template("booking/start.html", office=office, step="service", services=chosen,
                                   category=chosen[0].category)
        return render_template("booking/start.html", office=office, step="category", categories=_categories(services))
    ctx = {"office": office, "service": service, "case": case, "sig": request.args.get("sig") if case else None}
    raw_date = request.args.get("date")
    d = _parse_date(raw_date)
    if raw_date and d is None:
        return _calendar(**ctx, error=_("Дата має бути у форматі РРРР-ММ-ДД. Оберіть день у календарі.")), 422
    if d is None:
        return _calendar(**ctx)
    slots = [s for s in available_slots(office, service, d) if s.free > 0]
    if not slots:
        return _calendar(**ctx, error=_("На %(date)s вільного часу немає. Оберіть інший день.",
                                        date=d.strftime("%d.%m.%Y")))
    return render_template("booking/times.html", **ctx, day=d, slots=slots, weekday=_weekday(d),
                           hold_minutes=setting("BOOKING_HOLD_MINUTES"))


def _offices() -> list[Office]:
    return list(db.session.scalars(select(Office).order_by(Office.id)).all())


def _categories(services: list[Service]) -> list[tuple[ServiceCategory, int]]:
    seen: dict[int, tuple[ServiceCategory, int]] = {}
    for s in services:
        cat, n = seen.get(s.category_id, (s.category, 0))
        seen[s.category_id] = (cat, n + 1)
    return sorted(seen.values(), key=lambda cn: cn[0].position)


def _calendar(office, service, case, sig, error=None):
    days = dict(bookable_days(office, service))
    today = clock.now().date()
    last = today + timedelta(days=office.horizon_days)
    return render_template("booking/calendar.html", office=office, service=service, case=case, sig=sig,
                           months=_month_grid(days, today, last), today=today, error=error,
                           any_free=any(v > 0 for v in days.values()))


@bp.post("/book/hold")
@limiter.limit("10 per minute; 40 per hour")
def hold():
    case = _case_context()
    office = _office(request.form.get("office"))
    service = _service(request.form.get("service"))
    d, start = _parse_date(request.form.get("date")), _parse_time(request.form.get("start"))
    if office is None or service is None or d is None or start is None:
        return render_template("booking/start.html", offices=_offices(), step="office",
                               error=_("Не вдалося прочитати вибір. Почніть спочатку.")), 422
    if request.form.get("case") and case is None:
        return render_template("booking/start.html", offices=_offices(), step="office", error=_(
            "Посилання недійсне або документи вже видано.")), 404
    try:
        offered(office, service)
        booking, token = hold_slot(office, service, d, start, case_id=case.id if case else None)
    except ApiError as err:
        slots = [s for s in available_slots(office, service, d) if s.free > 0] if err.status == 409 else []
        return render_template("booking/times.html", office=office, service=service, case=case,
                               sig=request.form.get("sig") if case else None, day=d, slots=slots,
                               weekday=_weekday(d), error=err.message,
                               hold_minutes=setting("BOOKING_HOLD_MINUTES")), err.status
    _remember_hold(booking.code, token)
    return redirect(url_for("booking.details", code=booking.code))


@bp.route("/book/details/<code>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def details(code: str):
    booking, token = _held(code)
    if booking.status == "booked":
        return redirect(url_for("booking.manage", code=code, t=token))
    if booking.status != "held":
        return _expired_page(booking)
    form = {"name": "", "phone": ""}
    errors = {}
    if request.method == "POST":
        form = {"name": request.form.get("name", "")[:200], "phone": request.form.get("phone", "")[:40]}
        name = phone = None
        try:
            name = clean_name(form["name"])
        except ApiError as err:
            errors["name"] = err.message
        try:
            phone = normalise_phone(form["phone"])
        except ApiError as err:
            errors["phone"] = err.message
        if request.form.get("consent") != "1":
            errors["consent"] = _("Потрібна згода на обробку персональних даних для запису.")
        if not errors:
            try:
                outcome = confirm_hold(booking, name, phone)
            except ApiError as err:
                if err.code == "hold_expired":
                    return _expired_page(booking)
                errors["form"] = err.message
            else:
                if outcome == "verify":
                    return redirect(url_for("booking.verify", code=code))
                return redirect(url_for("booking.manage", code=code, t=token, new=1))
    return render_template("booking/details.html", booking=booking, form=form, errors=errors,
                           expires_in=_seconds_left(booking)), (422 if errors else 200)


def _seconds_left(booking: Booking) -> int:
    if booking.hold_expires_at is None:
        return 0
    return max(0, int((booking.hold_expires_at - clock.now()).total_seconds()))


def _expired_page(booking: Booking):
    return render_template("booking/expired.html", booking=booking), 409


@bp.route("/book/verify/<code>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def verify(code: str):
    booking, token = _held(code)
    if booking.status == "booked":
        return redirect(url_for("booking.manage", code=code, t=token, new=1))
    if booking.status != "held":
        return _expired_page(booking)
    error = None
    if request.method == "POST":
        try:
            verify_phone(booking, request.form.get("sms_code", "")[:10])
        except ApiError as err:
            if err.code == "hold_expired":
                return _expired_page(booking)
            error = err.message
        else:
            return redirect(url_for("booking.manage", code=code, t=token, new=1))
    return render_template("booking/verify.html", booking=booking, error=error, phone=mask_phone(booking.phone),
                           expires_in=_seconds_left(booking)), (422 if error else 200)
