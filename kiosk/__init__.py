"""The touch kiosk of an office: /kiosk/<office>.

GET  /kiosk/<office>                      the page (?idle=SECONDS for the inactivity reset, default 30;
                                          ?kiosk=NAME to pick this kiosk's printer from KIOSK_PRINTER)
GET  /kiosk/<office>/status.json          open now?, pause, next opening, categories and services of today
GET  /kiosk/<office>/ticket/<id>.json     what the kiosk shows of a ticket it has just issued (names, QR)
GET  /kiosk/<office>/ticket/<id>          the printable ticket (80 mm roll; ?autoprint=1 prints on load)
GET  /kiosk/<office>/ticket/<id>/qr.svg   the QR code to the live ticket page
POST /kiosk/<office>/ticket/<id>/print    print on the ESC/POS printer (KIOSK_PRINTER), if configured

Tickets themselves are issued by the page through the public API (POST /api/v1/offices/<code>/tickets).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from queue_app import clock, tickets
from queue_app.links import ticket_status_url
from queue_app.errors import ApiError
from queue_app.extensions import csrf, db, limiter
from queue_app.i18n import loc
from queue_app.models import Booking, Office, OfficeService, Service, Ticket, Window, window_services

from scheduling import KYIV

from . import printing
from .qr import qr_svg

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

IDLE_DEFAULT = 30
PRINT_WINDOW = timedelta(minutes=30)  # a ticket can be (re)printed this long after it was issued


def _english() -> bool:
    return str(get_locale()) == "en"


def _office(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is None:
        abort(404)
    return office


def _error(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


# --------------------------------------------------------------------------------------------- status

def opening_sentence(opening, now) -> str:
    """«Наступний прийом: завтра о 09:00.» in the kiosk's language."""
    if opening is None:
        return _("Час наступного прийому поки не визначено.")
    at = opening.strftime("%H:%M")
    if opening.date() == now.date():
        return _("Наступний прийом: сьогодні о %(time)s.", time=at)
    if opening.date() == now.date() + timedelta(days=1):
        return _("Наступний прийом: завтра о %(time)s.", time=at)
    return _("Наступний прийом: %(date)s о %(time)s.", date=format_date(opening.date(), "EEEE, d MMMM"), time=at)


def _served_services(office: Office) -> list[tuple[Service, OfficeService]]:
    """The office's services that some active window serves (all offered ones if it has no windows yet)."""
    rows = db.session.execute(
        select(Service, OfficeService).join(OfficeService, OfficeService.service_id == Service.id)
        .where(OfficeService.office_id == office.id).order_by(Service.code)).all()
    has_windows = db.session.scalar(select(func.count(Window.id)).where(Window.office_id == office.id, Window.active))
    if not has_windows:
        return [(s, t) for s, t in rows]
    served = set(db.session.scalars(
        select(window_services.c.service_id).join(Window, Window.id == window_services.c.window_id)
        .where(Window.office_id == office.id, Window.active)))
    return [(s, t) for s, t in rows if s.id in served]


def _walk_ins_today(office: Office, now) -> dict[int, int]:
    return dict(db.session.execute(
        select(Ticket.service_id, func.count(Ticket.id))
        .where(Ticket.office_id == office.id, Ticket.day == now.date(), Ticket.source == "walk_in")
        .group_by(Ticket.service_id)).all())


def office_status(office: Office) -> dict:
    now = clock.now()
    day, current = tickets.reception_now(office, now)
    opening = tickets.next_opening(office, now)
    if office.paused_reason:
        state = "paused"
        headline = _("Видачу талонів тимчасово призупинено")
        detail = office.paused_reason
    elif current is None:
        state = "closed"
        headline = _("Зараз прийом не ведеться")
        detail = day.note or ""
    else:
        state = "open"
        headline, detail = "", ""
    in_break = state == "closed" and bool(day.reception) and day.reception[0][0] <= now.time() < day.reception[-1][1]
    if in_break:
        headline = _("Перерва")

    issued = _walk_ins_today(office, now) if state == "open" else {}
    categories: dict[int, dict] = {}
    for service, terms in _served_services(office):
        reason, reason_code = None, None
        if state != "open":
            reason, reason_code = headline, state
        else:
            try:
                tickets._check_can_issue(office, service, now, walk_in=True)
            except ApiError as err:
                reason, reason_code = err.message, err.code
        remaining = None
        if terms.daily_cap is not None:
            remaining = max(0, terms.daily_cap - issued.get(service.id, 0))
        category = service.category
        entry = categories.setdefault(category.id, {
            "code": category.code, "name": loc(category), "letter": category.letter,
            "position": category.position, "services": []})
        entry["services"].append({
            "code": service.code, "name": loc(service), "letter": service.ticket_letter,
            "duration_min": service.duration_min, "available": reason is None, "reason": reason,
            "reason_code": reason_code, "last_ticket_time": terms.last_ticket_time,
            "daily_cap": terms.daily_cap, "remaining": remaining})
    cats = sorted(categories.values(), key=lambda c: c["position"])
    for c in cats:
        c.pop("position")
        c["available"] = any(s["available"] for s in c["services"])
    return {
        "office": {"code": office.code, "name": loc(office), "address": office.address},
        "now": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "state": state,
        "open": state == "open",
        "accepts_walk_ins": state == "open" and not day.appointment_only,
        "appointment_only": bool(day.appointment_only),
        "paused": office.paused_reason,
        "headline": headline,
        "detail": detail,
        "reception_today": [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in day.reception],
        "next_opening": opening.isoformat() if opening else None,
        "next_opening_text": opening_sentence(opening, now) if state != "open" else "",
        "categories": cats,
    }


@bp.get("/<office_code>/status.json")
def status(office_code: str):
    office = db.session.scalar(select(Office).where(Office.code == office_code))
    if office is None:
        return _error(404, "unknown_office", _("Офіс «%(code)s» не знайдено.", code=office_code[:40]))
    return jsonify(office_status(office)), 200, {"Cache-Control": "no-store"}


# --------------------------------------------------------------------------------------------- page

def _strings() -> dict:
    """Every text the page's script shows, translated here so the script holds none."""
    return {
        "ahead_0": _("Ви наступні"),
        "ahead_1": _("Перед вами: {n} особа"),
        "ahead_few": _("Перед вами: {n} особи"),
        "ahead_many": _("Перед вами: {n} осіб"),
        "wait": _("Орієнтовне очікування: ~{n} хв"),
        "wait_0": _("Орієнтовне очікування: менше хвилини"),
        "issued": _("Видано: {time}"),
        "last_time": _("Талони до {time}"),
        "remaining": _("Залишилось талонів: {n}"),
        "offline_title": _("Немає зв'язку з сервером"),
        "offline_text": _("Талони тимчасово не видаються. Кіоск відновить роботу сам, щойно зв'язок повернеться."),
        "error_title": _("Не вдалося видати талон"),
        "error_generic": _("Сталася помилка. Спробуйте ще раз або зверніться до адміністратора."),
        "code_incomplete": _("Введіть усі шість цифр коду."),
        "printing": _("Друкуємо талон…"),
        "printed": _("Талон надруковано. Заберіть його, будь ласка."),
        "print_failed": _("Принтер не надрукував талон. Ваш талон дійсний: сфотографуйте QR-код або "
                          "натисніть «Надрукувати ще раз»."),
        "booking_title": _("Введіть код запису"),
        "case_title": _("Введіть код зі СМС"),
        "scan_hint": _("або піднесіть QR-код запису до сканера"),
        "case_hint": _("Шестизначний код із повідомлення «Документи готові»"),
        "service_unavailable": _("Недоступно"),
        "hours_today": _("Прийом сьогодні: {hours}"),
        "appointment_only": _("Сьогодні прийом лише за попереднім записом"),
        "choose_service": _("Оберіть послугу"),
        "no_services": _("Сьогодні в цьому офісі немає послуг для живої черги."),
    }


@bp.get("/<office_code>")
def page(office_code: str):
    office = _office(office_code)
    try:
        idle = max(2, min(600, int(request.args.get("idle", IDLE_DEFAULT))))
    except ValueError:
        idle = IDLE_DEFAULT
    kiosk_name = request.args.get("kiosk", "")[:40]
    spec = printing.printer_spec(current_app.config.get("KIOSK_PRINTER"), kiosk_name)
    response = render_template(
        "kiosk/kiosk.html", office=office, office_name=loc(office), idle=idle, kiosk_name=kiosk_name,
        print_mode="escpos" if spec else "browser", strings=_strings(), lang=str(get_locale()))
    return response, 200, {"Cache-Control": "no-store"}


# --------------------------------------------------------------------------------------------- tickets

def _ticket(office: Office, ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.office_id != office.id:
        abort(404)
    return ticket


def _ahead(n: int) -> str:
    """Ukrainian has three plural forms; English maps all three to one."""
    if n <= 0:
        return _("Ви наступні")
    if n % 10 == 1 and n % 100 != 11:
        return _("Перед вами: %(n)s особа", n=n)
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return _("Перед вами: %(n)s особи", n=n)
    return _("Перед вами: %(n)s осіб", n=n)


def _note(ticket: Ticket) -> str | None:
    """What the check-in said, rebuilt from the ticket (the API's `note` is not stored)."""
    if not ticket.booking_id:
        return None
    booking = db.session.get(Booking, ticket.booking_id)
    if booking is None:
        return None
    if ticket.source == "booking":
        return _("Запис на %(time)s", time=booking.start.strftime("%H:%M"))
    return _("Ви запізнилися на запис, тому вас обслужать у загальній черзі.")


def ticket_view(ticket: Ticket) -> dict:
    from queue_app.estimates import ticket_estimate
    position, wait = ticket_estimate(ticket)
    issued = ticket.arrived_at.astimezone(KYIV)
    status_url = ticket_status_url(ticket.id)
    ahead = max(0, position - 1)
    return {
        "id": ticket.id, "number": ticket.number, "status": ticket.status,
        "service": ticket.service.code, "service_name": loc(ticket.service),
        "office": ticket.office.code, "office_name": loc(ticket.office), "office_address": ticket.office.address,
        "position": position, "ahead": ahead, "ahead_text": _ahead(ahead),
        "estimated_wait_min": wait,
        "wait_text": _("Орієнтовне очікування: ~%(n)s хв", n=wait) if wait else
        _("Орієнтовне очікування: менше хвилини"),
        "issued_at": issued.isoformat(timespec="seconds"),
        "issued_text": _("Видано: %(when)s", when=issued.strftime("%d.%m.%Y %H:%M")),
        "note": _note(ticket), "status_url": status_url,
    }


@bp.get("/<office_code>/ticket/<int:ticket_id>.json")
def ticket_json(office_code: str, ticket_id: int):
    view = ticket_view(_ticket(_office(office_code), ticket_id))
    view["qr_svg"] = qr_svg(view["status_url"])
    return jsonify(view), 200, {"Cache-Control": "no-store"}


@bp.get("/<office_code>/ticket/<int:ticket_id>/qr.svg")
def ticket_qr(office_code: str, ticket_id: int):
    ticket = _ticket(_office(office_code), ticket_id)
    url = ticket_status_url(ticket.id)
    return qr_svg(url, standalone=True), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store"}


@bp.get("/<office_code>/ticket/<int:ticket_id>")
def ticket_printable(office_code: str, ticket_id: int):
    ticket = _ticket(_office(office_code), ticket_id)
    view = ticket_view(ticket)
    return render_template("kiosk/ticket_print.html", t=view, qr=qr_svg(view["status_url"], scale=4),
                           autoprint=request.args.get("autoprint") == "1"), 200, {"Cache-Control": "no-store"}


def paper(view: dict) -> printing.TicketPrint:
    lines = [view["ahead_text"], view["wait_text"]]
    if view.get("note"):
        lines.append(view["note"])
    return printing.TicketPrint(
        number=view["number"], service=view["service_name"], office=view["office_name"],
        issued=view["issued_text"], status_url=view["status_url"], lines=lines,
        header=_("ЦНАП «Віза»"), title=_("Талон"), qr_hint=_("Скануйте QR-код, щоб стежити за чергою"))


@bp.post("/<office_code>/ticket/<int:ticket_id>/print")
@limiter.limit("30 per minute")
def ticket_print(office_code: str, ticket_id: int):
    office = _office(office_code)
    ticket = _ticket(office, ticket_id)
    spec = printing.printer_spec(current_app.config.get("KIOSK_PRINTER"), request.args.get("kiosk", ""))
    if not spec:
        return _error(409, "printer_not_configured", _("Прямий друк не налаштовано; друкуйте з браузера."))
    if clock.now() - ticket.arrived_at > PRINT_WINDOW:
        return _error(409, "too_old", _("Цей талон уже не можна надрукувати повторно."))
    ok, reason = printing.print_ticket(spec, paper(ticket_view(ticket)),
                                       current_app.config.get("KIOSK_PRINTER_CODEPAGE"))
    if not ok:
        current_app.logger.warning("kiosk %s: ticket %s not printed: %s", office.code, ticket.number, reason)
        return _error(502, "printer_error", _("Принтер не надрукував талон. Ваш талон дійсний і залишається на "
                                              "екрані; натисніть «Надрукувати ще раз» або зверніться до "
                                              "адміністратора."))
    return jsonify(printed=True, ticket=ticket.id)


# The page is a long-lived kiosk screen: a CSRF token would expire under it. Printing an existing,
# fresh ticket of this office again is harmless, and it is rate-limited.
csrf.exempt(ticket_print)
