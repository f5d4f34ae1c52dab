"""Bookings (попередній запис): the slots offered, and admission that never over-promises.

Every booking of an office and date is admitted under a lock on that office/day row, so concurrent
requests for the last place are decided one at a time by the database, on SQLite and PostgreSQL.

The booking pages first *hold* a slot (status "held", `hold_expires_at`) while the citizen types a
name and phone; a hold past its expiry no longer counts (it is left out of the slots and expired,
under the lock, before admission, and by `flask --app wsgi jobs run`).

Against scalping and no-shows: one live booking per phone, service and day; at most
BOOKING_MAX_PER_PHONE live bookings per phone; a phone with NO_SHOW_LIMIT no-shows within
NO_SHOW_WINDOW_DAYS may not book online for NO_SHOW_BLOCK_DAYS after the last one (a manager may
forgive or block a phone); optionally the phone is confirmed by an SMS code (BOOKING_VERIFY_PHONE).
"""
import hashlib
import os
import re
import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from scheduling import BookingInterval, admit, aware, slots_for

from . import clock, notify
from .availability import day_bookings, window_availability
from .calendars import office_days
from .errors import ApiError
from .extensions import db
from .models import (ACTIVE_BOOKING, Booking, Case, Event, Office, OfficeDay, OfficeService, PhoneRestriction,
                     PhoneVerification, Service, status_in)

PHONE_RE = re.compile(r"^\+?3?8?0\d{9}$", re.ASCII)  # ASCII: \d would take Arabic-Indic digits into the SMS number
NAME_RE = re.compile(r"^[^\W\d_][^\W\d_ '’ʼ.-]*(?:[ '’ʼ.-]+[^\W\d_]+)*\.?$")

# Defaults; each can be changed in the app config under the same name.
DEFAULTS = {
    "BOOKING_HOLD_MINUTES": 10,      # a slot is kept this long while the form is filled in
    "BOOKING_MAX_PER_PHONE": 3,      # live (held or booked, today or later) bookings per phone
    "BOOKING_VERIFY_PHONE": False,   # confirm the phone with an SMS code before the booking counts
    "NO_SHOW_TOLERANCE_MIN": 30,     # a booking not checked in by its start + this is a no-show
    "NO_SHOW_LIMIT": 3,              # this many no-shows …
    "NO_SHOW_WINDOW_DAYS": 90,       # … within this many days …
    "NO_SHOW_BLOCK_DAYS": 30,        # … block online booking this long after the last one
    "VERIFY_MAX_ATTEMPTS": 5,
}


def setting(name: str):
    """App config first, then the environment variable of the same name, then the default above."""
    if name in current_app.config:
        return current_app.config[name]
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return DEFAULTS[name]
    if isinstance(DEFAULTS[name], bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return int(raw)


def offered(office: Office, service: Service) -> OfficeService:
    row = db.session.get(OfficeService, (office.id, service.id))
    if row is None or not row.bookable:
        raise ApiError(422, "not_bookable", _("Ця послуга не надається за попереднім записом у цьому офісі."))
    return row


def _expired_hold_ids(office_id: int, d: date, now: datetime) -> set[int]:
    return set(db.session.scalars(select(Booking.id).where(
        Booking.office_id == office_id, Booking.day == d, Booking.status == "held",
        Booking.hold_expires_at < now)).all())


def live_bookings(office: Office, d: date, now: datetime | None = None) -> list[BookingInterval]:
    """The bookings that count in admission: day_bookings without holds past their expiry."""
    expired = _expired_hold_ids(office.id, d, now or clock.now())
    return [b for b in day_bookings(office, d) if b.booking_id not in expired]


def available_slots(office: Office, service: Service, d: date, now: datetime | None = None):
    """The slots of `service` on `d` as scheduling.Slot, with free counts that admission will honour."""
    terms = offered(office, service)
    now = now or clock.now()
    day = office_days(office, d, d)[0]
    if not day.is_open:
        return []
    share = 0.0 if day.appointment_only else terms.walk_in_share
    return slots_for(day, service.duration_min, window_availability(office, day, day.reception),
                     live_bookings(office, d, now), service.code, share, now,
                     min_notice_min=office.min_notice_min, horizon_days=office.horizon_days)


def bookable_days(office: Office, service: Service, now: datetime | None = None) -> list[tuple[date, int]]:
    """(date, free places) for each open date within the office's horizon; 0 when fully booked."""
    now = now or clock.now()
    today = now.date()
    out = []
    for day in office_days(office, today, today + timedelta(days=office.horizon_days)):
        if not day.is_open:
            continue
        free = sum(s.free for s in available_slots(office, service, day.date, now) if s.free > 0)
        out.append((day.date, free))
    return out


def normalise_phone(raw) -> str:
    digits = re.sub(r"[\s()\-]", "", raw) if isinstance(raw, str) else ""
    if not PHONE_RE.match(digits):
        raise ApiError(422, "invalid_phone", _("Телефон має бути українським номером, наприклад +380671234567."))
    return "+380" + digits[-9:]


def clean_name(raw) -> str:
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not 2 <= len(name) <= 100 or not NAME_RE.match(name):
        raise ApiError(422, "invalid_name", _("Вкажіть ім'я літерами (від 2 до 100 символів)."))
    return name


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lock_office_day(office: Office, d: date) -> None:
    """Take the office/day row lock (created on first use); held until commit or rollback."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(OfficeDay).values(office_id=office.id, day=d, version=0).on_conflict_do_nothing())
    db.session.execute(update(OfficeDay).where(OfficeDay.office_id == office.id, OfficeDay.day == d)
                       .values(version=OfficeDay.version + 1))


def _new_code() -> str:
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        taken = db.session.scalar(select(Booking.id).where(Booking.code == code, status_in(Booking.status, ACTIVE_BOOKING)))
        if taken is None:
            return code


def _expire_holds_locked(office: Office, d: date, now: datetime) -> None:
    """Under the office/day lock: holds past expiry give their places back before admission."""
    db.session.execute(update(Booking).where(
        Booking.office_id == office.id, Booking.day == d, Booking.status == "held", Booking.hold_expires_at < now)
        .values(status="expired", window_id=None))


def _slot_taken() -> ApiError:
    return ApiError(409, "slot_taken", _("Цей час уже зайнятий або недоступний. Оберіть інший."))


def _admit(office: Office, service: Service, d: date, start: time, now: datetime):
    """Lock the office/day and admit a booking at `start`; returns (slot, window id). Rolls back on refusal."""
    _lock_office_day(office, d)
    _expire_holds_locked(office, d, now)
    slot = next((s for s in available_slots(office, service, d, now) if s.start == start), None)
    if slot is None or slot.free <= 0:
        db.session.rollback()
        raise _slot_taken()
    day = office_days(office, d, d)[0]
    new = BookingInterval("new", service.code, slot.start, slot.end)
    verdict = admit(window_availability(office, day, day.reception), live_bookings(office, d, now), new)
    if not verdict.ok:
        db.session.rollback()
        raise _slot_taken()
    _apply_moves(verdict.assignment)
    return slot, verdict.assignment["new"]


def _store(office, service, d, slot, window_id, *, status, name=None, phone=None, case_id=None, code=None,
           token_digest=None, hold_expires_at=None, event="booking_created") -> Booking:
    booking = Booking(code=code or _new_code(), office_id=office.id, service_id=service.id, day=d, start=slot.start,
                      end=slot.end, window_id=window_id, name=name, phone=phone, manage_token_hash=token_digest,
                      status=status, case_id=case_id, hold_expires_at=hold_expires_at)
    db.session.add(booking)
    db.session.flush()
    db.session.add(Event(office_id=office.id, kind=event, booking_id=booking.id, service_id=service.id,
                         data={"day": d.isoformat(), "start": slot.start.strftime("%H:%M"), "status": status}))
    return booking


def create_booking(office: Office, service: Service, d: date, start: time, name: str, phone: str,
                   case_id: int | None = None) -> tuple[Booking, str]:
    """Admit and store a booking; returns it with its manage token (shown once, stored hashed).

    With BOOKING_VERIFY_PHONE the booking is stored "held" until the SMS code is entered (verify_phone)."""
    now = clock.now()
    _lock_office_day(office, d)
    try:
        check_phone_limits(phone, service.id, d, now)
        _check_case(case_id)
    except ApiError:
        db.session.rollback()
        raise
    slot, window_id = _admit(office, service, d, start, now)
    token = secrets.token_urlsafe(18)
    verify = setting("BOOKING_VERIFY_PHONE")
    booking = _store(office, service, d, slot, window_id, status="held" if verify else "booked", name=name,
                     phone=phone, case_id=case_id, token_digest=token_hash(token),
                     hold_expires_at=now + timedelta(minutes=setting("BOOKING_HOLD_MINUTES")) if verify else None)
    urgent = _start_verification(booking) if verify else []
    if not verify:
        notify.enqueue("booking_confirmed", phone, notify.text_booking_confirmed(booking), booking_id=booking.id)
    db.session.commit()
    notify.send_now(urgent)
    return booking, token


def hold_slot(office: Office, service: Service, d: date, start: time,
              case_id: int | None = None) -> tuple[Booking, str]:
    """Keep a slot for BOOKING_HOLD_MINUTES while the citizen fills the form in; no name or phone yet."""
    now = clock.now()
    _lock_office_day(office, d)
    try:
        _check_case(case_id)
    except ApiError:
        db.session.rollback()
        raise
    slot, window_id = _admit(office, service, d, start, now)
    token = secrets.token_urlsafe(18)
    booking = _store(office, service, d, slot, window_id, status="held", case_id=case_id,
                     token_digest=token_hash(token),
                     hold_expires_at=now + timedelta(minutes=setting("BOOKING_HOLD_MINUTES")), event="booking_held")
    db.session.commit()
    return booking, token


def hold_is_live(booking: Booking, now: datetime | None = None) -> bool:
    return booking.status == "held" and booking.hold_expires_at is not None and \
        booking.hold_expires_at > (now or clock.now())


def confirm_hold(booking: Booking, name: str, phone: str) -> str:
    """Put the name and phone on a live hold. Returns "booked", or "verify" when an SMS code was sent."""
    now = clock.now()
    _lock_office_day(booking.office, booking.day)
    db.session.refresh(booking)
    try:
        if not hold_is_live(booking, now):
            raise ApiError(409, "hold_expired", _("Час, відведений на заповнення, минув. Оберіть час ще раз."))
        check_phone_limits(phone, booking.service_id, booking.day, now, exclude_id=booking.id)
    except ApiError:
        db.session.rollback()
        raise
    booking.name, booking.phone = name, phone
    if setting("BOOKING_VERIFY_PHONE"):
        urgent = _start_verification(booking)
        db.session.commit()
        notify.send_now(urgent)
        return "verify"
    _book(booking)
    db.session.commit()
    return "booked"


def _book(booking: Booking) -> None:
    booking.status, booking.hold_expires_at = "booked", None
    db.session.add(Event(office_id=booking.office_id, kind="booking_confirmed", booking_id=booking.id,
                         service_id=booking.service_id, data={}))
    notify.enqueue("booking_confirmed", booking.phone, notify.text_booking_confirmed(booking), booking_id=booking.id)


def _start_verification(booking: Booking) -> list[int]:
    code = f"{secrets.randbelow(10_000):04d}"
    row = db.session.get(PhoneVerification, booking.id) or PhoneVerification(booking_id=booking.id)
    row.code_hash, row.attempts = token_hash(f"{booking.id}:{code}"), 0
    db.session.add(row)
    msg = notify.enqueue("verify_code", booking.phone, notify.text_verify_code(code), booking_id=booking.id)
    db.session.flush()
    return [msg.id] if msg is not None else []


def verify_phone(booking: Booking, code) -> None:
    """The SMS code entered: the held booking becomes booked. Wrong codes are counted and limited."""
    now = clock.now()
    row = db.session.get(PhoneVerification, booking.id)
    if booking.status == "booked":
        return
    if row is None or not hold_is_live(booking, now):
        raise ApiError(409, "hold_expired", _("Час, відведений на підтвердження, минув. Оберіть час ще раз."))
    if row.attempts >= setting("VERIFY_MAX_ATTEMPTS"):
        raise ApiError(429, "too_many_attempts", _("Забагато спроб. Оберіть час ще раз."))
    if not isinstance(code, str) or not secrets.compare_digest(row.code_hash, token_hash(f"{booking.id}:{code.strip()}")):
        row.attempts += 1
        db.session.commit()
        raise ApiError(422, "wrong_code", _("Неправильний код із СМС. Перевірте й спробуйте ще раз."))
    db.session.delete(row)
    _book(booking)
    db.session.commit()


def _check_case(case_id: int | None) -> None:
    if case_id is None:
        return
    live = db.session.scalar(select(Booking.id).where(Booking.case_id == case_id, Booking.status.in_(ACTIVE_BOOKING),
                                                       (Booking.status != "held") | (Booking.hold_expires_at >= clock.now())))
    if live is not None:
        raise ApiError(409, "case_already_booked", _("На отримання цих документів уже є запис."))


def _apply_moves(assignment: dict) -> None:
    """Admission may move earlier bookings to other windows to make room; store their new windows."""
    moved = {bid: wid for bid, wid in assignment.items() if bid != "new"}
    if not moved:
        return
    rows = db.session.scalars(select(Booking).where(Booking.id.in_(moved))).all()
    changed = [b for b in rows if b.window_id != moved[b.id]]
    # Free the old places first: the partial unique index (window, day, start) holds at every flush.
    for b in changed:
        b.window_id = None
    db.session.flush()
    for b in changed:
        b.window_id = moved[b.id]


def find_booking(code, token) -> Booking:
    booking = None
    if isinstance(code, str) and isinstance(token, str) and token:
        booking = db.session.scalar(select(Booking).where(Booking.code == code,
                                                          Booking.manage_token_hash == token_hash(token))
                                    .order_by(Booking.id.desc()))
    if booking is None:
        raise ApiError(404, "unknown_booking", _("Запис не знайдено. Перевірте код і посилання."))
    if booking.status == "held" and not hold_is_live(booking):
        booking.status, booking.window_id = "expired", None  # lazily, as the job would
        db.session.commit()
    return booking


def cancel_booking(booking: Booking, reason: str = "citizen") -> None:
    if booking.status not in ("held", "booked"):
        raise ApiError(409, "not_cancellable", _("Цей запис уже не можна скасувати."))
    was = booking.status
    booking.status, booking.window_id = "cancelled", None
    db.session.add(Event(office_id=booking.office_id, kind="booking_cancelled", booking_id=booking.id,
                         service_id=booking.service_id, data={"reason": reason}))
    if was == "booked":
        notify.enqueue("booking_cancelled", booking.phone, notify.text_booking_cancelled(booking),
                       booking_id=booking.id)
    db.session.commit()


def move_booking(booking: Booking, d: date, start: time) -> Booking:
    """Another date or time for the same office and service. The code and the private link stay the same;
    if the new time cannot be admitted, nothing changes."""
    if booking.status != "booked":
        raise ApiError(409, "not_movable", _("Цей запис уже не можна перенести."))
    now = clock.now()
    office, service = booking.office, booking.service
    old = {"day": booking.day.isoformat(), "start": booking.start.strftime("%H:%M")}
    booking.status, booking.window_id = "cancelled", None  # frees its place for the admission below
    db.session.flush()
    try:
        check_phone_limits(booking.phone, service.id, d, now, exclude_id=booking.id)
    except ApiError:
        db.session.rollback()
        raise
    slot, window_id = _admit(office, service, d, start, now)
    db.session.add(Event(office_id=office.id, kind="booking_moved", booking_id=booking.id, service_id=service.id,
                         data={"from": old}))
    moved = _store(office, service, d, slot, window_id, status="booked", name=booking.name, phone=booking.phone,
                   case_id=booking.case_id, code=booking.code, token_digest=booking.manage_token_hash)
    notify.enqueue("booking_confirmed", moved.phone, notify.text_booking_confirmed(moved), booking_id=moved.id)
    db.session.commit()
    return moved


# ---------------------------------------------------------------- per-phone limits and no-shows

def no_show_count(phone: str, now: datetime | None = None) -> int:
    now = now or clock.now()
    since = now.date() - timedelta(days=setting("NO_SHOW_WINDOW_DAYS"))
    query = select(func.count(Booking.id)).where(Booking.phone == phone, Booking.status == "no_show",
                                                 Booking.day >= since)
    forgiven = db.session.get(PhoneRestriction, phone)
    if forgiven is not None and forgiven.forgiven_before is not None:
        query = query.where(Booking.day >= forgiven.forgiven_before.astimezone(now.tzinfo).date())
    return db.session.scalar(query) or 0


def blocked_until(phone: str, now: datetime | None = None) -> datetime | None:
    """Until when the phone may not book online (None: it may)."""
    now = now or clock.now()
    restriction = db.session.get(PhoneRestriction, phone)
    if restriction is not None and restriction.blocked_until is not None and restriction.blocked_until > now:
        return restriction.blocked_until
    if no_show_count(phone, now) < setting("NO_SHOW_LIMIT"):
        return None
    last = db.session.scalar(select(func.max(Booking.day)).where(Booking.phone == phone, Booking.status == "no_show"))
    until = aware(last + timedelta(days=setting("NO_SHOW_BLOCK_DAYS") + 1), time(0, 0))
    return until if until > now else None


def check_phone_limits(phone: str | None, service_id: int, d: date, now: datetime,
                       exclude_id: int | None = None) -> None:
    if not phone:
        return
    until = blocked_until(phone, now)
    if until is not None:
        raise ApiError(403, "phone_blocked", _(
            "Через пропущені записи онлайн-запис для цього номера недоступний до %(date)s. "
            "Зверніться до центру за телефоном 0-800-500-459.", date=until.strftime("%d.%m.%Y")))
    live = ((Booking.status.in_(("booked", "checked_in"))) |
            ((Booking.status == "held") & (Booking.hold_expires_at >= now)))
    query = select(Booking.id, Booking.service_id, Booking.day).where(
        Booking.phone == phone, live, Booking.day >= now.date())
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    rows = db.session.execute(query).all()
    if any(r.service_id == service_id and r.day == d for r in rows):
        raise ApiError(409, "duplicate_booking",
                       _("На цей номер телефону вже є запис на цю послугу в цей день."))
    if len(rows) >= setting("BOOKING_MAX_PER_PHONE"):
        raise ApiError(409, "too_many_bookings",
                       _("На цей номер телефону вже є %(n)d активних записи. Скасуйте непотрібний запис.",
                         n=len(rows)))


def forgive_phone(phone: str, staff_id: int | None = None) -> None:
    """A manager lifts the block: no-shows before now no longer count, and a manual block ends."""
    row = db.session.get(PhoneRestriction, phone) or PhoneRestriction(phone=phone)
    row.forgiven_before, row.blocked_until, row.staff_id, row.updated_at = clock.now(), None, staff_id, clock.now()
    db.session.add(row)
    db.session.commit()


def block_phone(phone: str, days: int, staff_id: int | None = None) -> None:
    row = db.session.get(PhoneRestriction, phone) or PhoneRestriction(phone=phone)
    row.blocked_until, row.staff_id, row.updated_at = clock.now() + timedelta(days=days), staff_id, clock.now()
    db.session.add(row)
    db.session.commit()


def no_show_report(now: datetime | None = None, office_id: int | None = None) -> list[dict]:
    """Phones with no-shows in the window, worst first: phone, masked phone, count, last date, blocked until."""
    now = now or clock.now()
    since = now.date() - timedelta(days=setting("NO_SHOW_WINDOW_DAYS"))
    query = (select(Booking.phone, func.count(Booking.id), func.max(Booking.day))
             .where(Booking.status == "no_show", Booking.day >= since, Booking.phone.is_not(None))
             .group_by(Booking.phone))
    if office_id is not None:
        query = query.where(Booking.office_id == office_id)
    out = []
    for phone, _count, last in db.session.execute(query).all():
        until = blocked_until(phone, now)
        out.append({"phone": phone, "phone_masked": notify.mask_phone(phone), "no_shows": no_show_count(phone, now),
                    "last_no_show": last.isoformat(), "blocked_until": until.isoformat() if until else None})
    out.sort(key=lambda r: (-r["no_shows"], r["phone"]))
    return out


def case_for_link(code: str, signature: str) -> Case | None:
    """The case behind a «documents ready» link, when the signature matches and the result waits."""
    if not (isinstance(code, str) and code.isdigit() and len(code) == 6 and isinstance(signature, str)):
        return None
    if not secrets.compare_digest(notify.case_signature(code), signature):
        return None
    case = db.session.scalar(select(Case).where(Case.code == code))
    return case if case is not None and case.status == "ready" else None
