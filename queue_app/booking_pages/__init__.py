"""Citizens' booking pages (mobile first), the private manage link, the public case status page,
the «documents ready» link, and the managers' QR posters and no-show list.

/book                      office → category → service → calendar → time (deep link: ?office=&service=)
/book/hold (POST)          holds the chosen slot for BOOKING_HOLD_MINUTES
/book/details/<code>       name and phone; /book/verify/<code> the SMS code when BOOKING_VERIFY_PHONE is on
/b/<code>?t=TOKEN          the confirmation and manage page: QR, .ics, documents, cancel, move
/r/<case>/<signature>      the link of the «documents ready» SMS: a pick-up booking tied to the case
/status                    «Перевір стан документу/справи»: a case's status from its code alone
/book/posters …            printable QR posters per office and service (managers)
/book/no-shows             no-shows per phone, forgive or block (managers)
/cases                     staff: create cases and change their status
"""
import calendar
import io
import re
from datetime import date, datetime, time, timedelta, timezone

import segno
from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..bookings import (available_slots, bookable_days, block_phone, cancel_booking, case_for_link, clean_name,
                        confirm_hold, find_booking, forgive_phone, hold_slot, move_booking, no_show_report,
                        normalise_phone, offered, setting, verify_phone)
from ..cases import create_case, find_case, parse_code, set_status, status_label
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import CASE_STATUSES, Booking, Case, Office, OfficeService, Service, ServiceCategory
from ..links import public_url
from ..notify import mask_phone
from ..staff_auth import roles_required

bp = Blueprint("booking", __name__)

MAX_HOLDS_IN_SESSION = 5


# ---------------------------------------------------------------- helpers

def loc(obj) -> str:
    """The object's name in the page's language."""
    if str(get_locale()) == "en" and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name


@bp.app_template_global("loc_name")
def _loc_name(obj) -> str:
    return loc(obj)


def _office(code) -> Office | None:
    return db.session.scalar(select(Office).where(Office.code == code)) if isinstance(code, str) else None


def _service(code) -> Service | None:
    return db.session.scalar(select(Service).where(Service.code == code)) if isinstance(code, str) else None


def _bookable_services(office: Office) -> list[Service]:
    return list(db.session.scalars(
        select(Service).join(OfficeService, OfficeService.service_id == Service.id)
        .where(OfficeService.office_id == office.id, OfficeService.bookable.is_(True))
        .order_by(Service.category_id, Service.name)).all())


def _parse_date(raw) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        return None


def _parse_time(raw) -> time | None:
    try:
        return time.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 5 else None
    except ValueError:
        return None


def _remember_hold(code: str, token: str) -> None:
    holds = dict(session.get("holds", {}))
    holds[code] = token
    session["holds"] = dict(list(holds.items())[-MAX_HOLDS_IN_SESSION:])


def _held(code: str) -> tuple[Booking, str]:
    """The hold this browser made (its token is in the session); anything else is «not found»."""
    token = session.get("holds", {}).get(code)
    if token is None:
        raise ApiError(404, "unknown_booking", _("Запис не знайдено. Почніть спочатку."))
    return find_booking(code, token), token


def _case_context():
    """A «documents ready» link's case, carried through the steps as ?case=&sig=."""
    code, sig = request.values.get("case"), request.values.get("sig")
    if not code:
        return None
    return case_for_link(code, sig)


def _month_grid(days: dict[date, int], first: date, last: date):
    """Weeks (Monday first) of the months from `first` to `last`; each cell (date, free or None) or None."""
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(y, m):
            weeks.append([(d, days.get(d)) if d.month == m else None for d in week])
        months.append({"year": y, "month": m, "weeks": weeks})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


MONTHS_UK = ["січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
             "жовтень", "листопад", "грудень"]


@bp.app_template_filter("month_name")
def _month_name(m: int) -> str:
    return MONTHS_UK[m - 1] if str(get_locale()) != "en" else calendar.month_name[m]


@bp.app_template_filter("ua_date")
def _ua_date(d: date) -> str:
    return d.strftime("%d.%m.%Y")


@bp.app_template_filter("kyiv_date")
def _kyiv_date(moment: datetime) -> str:
    from scheduling import KYIV
    return moment.astimezone(KYIV).strftime("%d.%m.%Y")


def _weekday(d: date) -> str:
    names = [_("пн"), _("вт"), _("ср"), _("чт"), _("пт"), _("сб"), _("нд")]
    return names[d.weekday()]


@bp.app_template_global("weekday_short")
def _weekday_global(d: date) -> str:
    return _weekday(d)


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


# ---------------------------------------------------------------- the private manage link

def _manage_booking(code: str) -> tuple[Booking, str]:
    token = request.values.get("t", "")
    return find_booking(code, token[:64]), token


def _not_found_page():
    return render_template("booking/not_found.html"), 404


@bp.get("/b/<code>")
@limiter.limit("60 per minute")
def manage(code: str):
    try:
        booking, token = _manage_booking(code)
    except ApiError:
        return _not_found_page()
    qr = segno.make(booking.code, error="m")
    return render_template("booking/manage.html", booking=booking, token=token, new=request.args.get("new") == "1",
                           qr_svg=qr.svg_inline(scale=6, title=_("Код запису %(code)s", code=booking.code)),
                           documents=(booking.service.card_data or {}).get("documents", []),
                           manage_link=public_url(url_for("booking.manage", code=booking.code, t=token)),
                           status_text=booking_status_label(booking.status))


def booking_status_label(status: str) -> str:
    return {"held": _("Очікує підтвердження"), "booked": _("Підтверджено"), "checked_in": _("Ви зареєструвалися"),
            "done": _("Обслуговано"), "cancelled": _("Скасовано"), "no_show": _("Ви не прийшли"),
            "expired": _("Час утримання минув")}.get(status, status)


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets are folded (CRLF + space)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts, current = [], b""
    for ch in re.findall(r"\\.|.", line):  # never split an escape such as "\,"
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += b
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def booking_ics(booking: Booking) -> str:
    """One VEVENT; times in UTC ("Z"), so no VTIMEZONE is needed and DST is handled by the calendar app."""
    from scheduling import aware

    def utc(d, t) -> str:
        return aware(d, t).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    office = booking.office
    where = office.address + (f", каб. {office.cabinet}" if office.cabinet else "")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CNAP Viza Kryvyi Rih//booking//UK", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:booking-{booking.id}-{booking.code}@viza.kr.gov.ua",
        f"DTSTAMP:{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART:{utc(booking.day, booking.start)}",
        f"DTEND:{utc(booking.day, booking.end)}",
        "SUMMARY:" + _ics_escape(_("ЦНАП «Віза»: %(service)s", service=loc(booking.service))),
        "LOCATION:" + _ics_escape(f"{loc(office)}, {where}"),
        "DESCRIPTION:" + _ics_escape(_("Код запису: %(code)s. Візьміть документ, що посвідчує особу.",
                                       code=booking.code)),
        "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT1H", "DESCRIPTION:" + _ics_escape(_("Запис у ЦНАП «Віза»")),
        "END:VALARM", "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


@bp.get("/b/<code>/calendar.ics")
def ics(code: str):
    try:
        booking, _token = _manage_booking(code)
    except ApiError:
        return _not_found_page()
    return Response(booking_ics(booking), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="cnap-{booking.code}.ics"'})


@bp.post("/b/<code>/cancel")
@limiter.limit("20 per hour")
def cancel(code: str):
    try:
        booking, token = _manage_booking(code)
    except ApiError:
        return _not_found_page()
    try:
        cancel_booking(booking)
    except ApiError as err:
        return _manage_error(booking, token, err)
    return redirect(url_for("booking.manage", code=code, t=token, cancelled=1))


def _manage_error(booking, token, err: ApiError):
    return render_template("booking/message.html", title=_("Не вдалося змінити запис"), message=err.message,
                           back=url_for("booking.manage", code=booking.code, t=token)), err.status


@bp.route("/b/<code>/move", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def move(code: str):
    try:
        booking, token = _manage_booking(code)
    except ApiError:
        return _not_found_page()
    if booking.status != "booked":
        return _manage_error(booking, token, ApiError(409, "not_movable", _("Цей запис уже не можна перенести.")))
    office, service = booking.office, booking.service
    error = None
    if request.method == "POST":
        d, start = _parse_date(request.form.get("date")), _parse_time(request.form.get("start"))
        if d is None or start is None:
            error = _("Оберіть день і час зі списку.")
        else:
            try:
                moved = move_booking(booking, d, start)
                return redirect(url_for("booking.manage", code=moved.code, t=token, moved=1))
            except ApiError as err:
                error = err.message
                booking, token = _manage_booking(code)
    raw = request.values.get("date")
    d = _parse_date(raw)
    if raw and d is None:
        error = error or _("Дата має бути у форматі РРРР-ММ-ДД. Оберіть день у календарі.")
    slots = [s for s in available_slots(office, service, d) if s.free > 0] if d else []
    days = dict(bookable_days(office, service))
    today = clock.now().date()
    return render_template("booking/move.html", booking=booking, token=token, day=d, slots=slots, error=error,
                           months=_month_grid(days, today, today + timedelta(days=office.horizon_days))), \
        (422 if error else 200)


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


__all__ = ["bp", "booking_ics"]
