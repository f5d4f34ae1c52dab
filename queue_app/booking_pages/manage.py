"""The private manage link: confirmation, .ics, cancel, move."""
import re
from datetime import datetime, timedelta, timezone

import segno
from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..bookings import (
    available_slots,
    bookable_days,
    cancel_booking,
    find_booking,
    move_booking,
)
from ..errors import ApiError
from ..extensions import limiter
from ..links import public_url
from ..models import Booking
from .common import _month_grid, _parse_date, _parse_time, bp, loc

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
