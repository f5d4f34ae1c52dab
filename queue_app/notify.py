"""SMS to citizens: the texts, the gateways (log, generic HTTP) and the outbox that delivers them.

A message is written to the outbox in the same transaction as the change that causes it (a booking,
a case set ready), so a gateway that is down loses nothing: `flask --app wsgi outbox send` (and
`jobs run`) deliver due messages, retrying failures with exponential back-off; once the gateway takes
a message again, the ones still backing off are due at once rather than up to an hour later.

Nothing here logs a full phone number or a message text: the log gets the kind and a masked phone.
"""
import hashlib
import hmac
import json
import logging
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from . import clock
from .extensions import db
from .links import public_url
from .models import Booking, Case, Outbox

log = logging.getLogger(__name__)

# GSM 03.38 basic set: a text made only of these is 7-bit (160 a segment, 153 when split).
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = set("^{}\\[~]|€")
MAX_SEGMENTS = 2
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=5)


# ---------------------------------------------------------------- texts and their length

def sms_units(text: str) -> tuple[str, int]:
    """(encoding, length in that encoding's units): GSM-7 septets, or UTF-16 code units for UCS-2."""
    if all(c in GSM7 or c in GSM7_EXT for c in text):
        return "gsm7", sum(2 if c in GSM7_EXT else 1 for c in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS the text takes: UCS-2 (any Cyrillic) 70 in one, 67 a part when split; GSM-7 160/153."""
    encoding, n = sms_units(text)
    single, part = (160, 153) if encoding == "gsm7" else (70, 67)
    if n <= single:
        return 1
    return -(-n // part)


def mask_phone(phone: str | None) -> str:
    """+380671234567 → +38067***4567: enough to tell messages apart in a log, not to call anyone."""
    if not phone:
        return "-"
    return phone[:6] + "***" + phone[-4:] if len(phone) >= 10 else "***"


def _fit(variants: list[str]) -> str:
    """The first variant within MAX_SEGMENTS, else the shortest one."""
    for text in variants:
        if sms_segments(text) <= MAX_SEGMENTS:
            return text
    return min(variants, key=lambda t: sms_units(t)[1])


def case_signature(code: str) -> str:
    """A short signature of the case code for the SMS link: the link, not the code alone, ties a booking."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"case-link:{code}".encode(), hashlib.sha256).hexdigest()[:8]


def case_link(case: Case) -> str:
    return public_url(f"/r/{case.code}/{case_signature(case.code)}")


def _address(office, with_cabinet: bool = True) -> str:
    address = office.address
    if with_cabinet and office.cabinet:
        address += f", каб. {office.cabinet}"
    return address


def _short_address(office) -> str:
    """The street part only: «50101, м. Кривий Ріг, пл. Молодіжна, 1» → «пл. Молодіжна, 1»."""
    parts = [p.strip() for p in re.sub(r"\s*\([^)]*\)", "", office.address).split(",")]
    while len(parts) > 2 and (parts[0].isdigit() or parts[0].startswith("м.")):
        parts.pop(0)
    return ", ".join(parts)


def _hhmm(t) -> str:
    return t.strftime("%H:%M")


def _ddmm(d) -> str:
    return d.strftime("%d.%m")


# SMS texts are Ukrainian whatever the page language: the centre writes to citizens in Ukrainian.

def text_documents_ready(case: Case) -> str:
    link = case_link(case)
    office = case.office
    return _fit([
        f"Документи готові (Код №{case.code}), адреса отримання: {_address(office)}, реєстрація {link}",
        f"Документи готові (Код №{case.code}), адреса отримання: {_short_address(office)}, реєстрація {link}",
        f"Документи готові (Код №{case.code}), реєстрація {link}",
    ])


def text_booking_confirmed(b: Booking) -> str:
    when = f"{_ddmm(b.day)} о {_hhmm(b.start)}"
    return _fit([
        f"ЦНАП «Віза»: запис {when}, {_address(b.office)}. Код {b.code}",
        f"ЦНАП «Віза»: запис {when}, {_short_address(b.office)}. Код {b.code}",
        f"ЦНАП «Віза»: запис {when}. Код {b.code}",
    ])


def text_reminder(b: Booking) -> str:
    return _fit([
        f"Нагадуємо: завтра о {_hhmm(b.start)} запис у ЦНАП «Віза», {_address(b.office)}. Код {b.code}",
        f"Нагадуємо: завтра о {_hhmm(b.start)} запис у ЦНАП «Віза», {_short_address(b.office)}. Код {b.code}",
        f"Нагадуємо: завтра о {_hhmm(b.start)} запис у ЦНАП «Віза». Код {b.code}",
    ])


def text_booking_cancelled(b: Booking) -> str:
    return f"ЦНАП «Віза»: запис {_ddmm(b.day)} о {_hhmm(b.start)} (код {b.code}) скасовано."


def text_verify_code(code: str) -> str:
    return f"ЦНАП «Віза»: код підтвердження {code}"


# ---------------------------------------------------------------- the outbox

def enqueue(kind: str, phone: str | None, body: str, booking_id: int | None = None, case_id: int | None = None,
            dedupe_key: str | None = None) -> Outbox | None:
    """Add a message to the caller's transaction (no commit here). No phone, no message."""
    if not phone:
        return None
    row = Outbox(kind=kind, phone=phone, body=body, booking_id=booking_id, case_id=case_id, dedupe_key=dedupe_key,
                 next_attempt_at=clock.now())
    db.session.add(row)
    return row


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failure, at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _claim(row_id: int, now: datetime) -> bool:
    """Take a message due by `now` for this sender: a lease (next_attempt_at pushed forward) that another sender
    honours. The lease runs from the clock, not from `now`: a drain held up by a gateway that hangs must not
    hand out leases that have run out already, or the next run would send the same message again."""
    claimed = db.session.execute(
        update(Outbox).where(Outbox.id == row_id, Outbox.status == "pending", Outbox.next_attempt_at <= now)
        .values(next_attempt_at=max(now, clock.now()) + LEASE, attempts=Outbox.attempts + 1)).rowcount
    db.session.commit()
    return claimed == 1


def send_one(row: Outbox) -> bool:
    """Deliver one claimed message; records success, or the error and when to try again (counted from the
    gateway's answer, which may come long after the drain started)."""
    try:
        gateway().send(row.phone, row.body, kind=row.kind, message_id=row.id)
    except Exception as err:  # any gateway failure is retried later, never lost
        row.last_error = f"{type(err).__name__}: {err}"[:300]
        row.next_attempt_at = clock.now() + backoff(row.attempts)
        log.warning("sms %s to %s failed (attempt %d): %s", row.kind, mask_phone(row.phone), row.attempts,
                    type(err).__name__)
        if row.attempts >= MAX_ATTEMPTS:
            # An error, for monitoring to alert on: the office's dashboard lists it for a manager.
            row.status = "failed"
            log.error("sms %s %s to %s given up after %d attempts", row.kind, row.id, mask_phone(row.phone),
                      row.attempts)
        db.session.commit()
        return False
    row.status, row.sent_at, row.last_error = "sent", clock.now(), None
    db.session.commit()
    return True


def _retry_backed_off(now: datetime) -> None:
    """The gateway took a message: those backing off after earlier failures are due again now rather than up
    to BACKOFF_CAP later (one the gateway refuses for itself, a bad number, so uses up its attempts sooner).
    A row leased by a sender at this moment is never further ahead than LEASE, so it is left alone."""
    db.session.execute(update(Outbox).where(Outbox.status == "pending", Outbox.last_error.is_not(None),
                                            Outbox.next_attempt_at > now + LEASE).values(next_attempt_at=now))
    db.session.commit()


def drain(limit: int = 200, now: datetime | None = None) -> dict:
    """Send every message due by `now` once; returns counts. Safe to run from several processes at once."""
    now = now or clock.now()
    due = db.session.scalars(select(Outbox.id).where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
                             .order_by(Outbox.id).limit(limit)).all()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for row_id in due:
        if not _claim(row_id, now):
            counts["skipped"] += 1
            continue
        row = db.session.get(Outbox, row_id)
        counts["sent" if send_one(row) else "failed"] += 1
    if counts["sent"]:
        _retry_backed_off(clock.now())
    return counts


def send_now(row_ids: list[int]) -> None:
    """Try at once (after the commit that wrote them) messages that cannot wait, e.g. a verification code."""
    for row_id in row_ids:
        if _claim(row_id, clock.now()):
            send_one(db.session.get(Outbox, row_id))


# ---------------------------------------------------------------- what was not delivered

UNDELIVERED_DAYS = 7  # how far back an office's managers see the messages given up on


def undelivered(office_id: int, now: datetime, message_id: int | None = None) -> list[Outbox]:
    """Messages to citizens of an office (through their booking or case) given up on in the last
    UNDELIVERED_DAYS, newest first: a manager may send one again, or call the citizen."""
    query = (select(Outbox).outerjoin(Booking, Booking.id == Outbox.booking_id)
             .outerjoin(Case, Case.id == Outbox.case_id)
             .where(Outbox.status == "failed", Outbox.created_at >= now - timedelta(days=UNDELIVERED_DAYS),
                    or_(Booking.office_id == office_id, Case.office_id == office_id)))
    if message_id is not None:
        query = query.where(Outbox.id == message_id)
    return list(db.session.scalars(query.order_by(Outbox.id.desc()).limit(100)))


def office_id_of(row: Outbox) -> int | None:
    """The office whose citizen a message is for; None for one of neither a booking nor a case."""
    if row.booking_id is not None:
        return db.session.scalar(select(Booking.office_id).where(Booking.id == row.booking_id))
    if row.case_id is not None:
        return db.session.scalar(select(Case.office_id).where(Case.id == row.case_id))
    return None


def send_again(row: Outbox) -> None:
    """Back in the outbox with its attempts afresh (in the caller's transaction): the next run sends it."""
    row.status, row.attempts, row.next_attempt_at = "pending", 0, clock.now()


# ---------------------------------------------------------------- gateways

class Gateway:
    """Sends one SMS or raises. `message_id` is stable across retries (a gateway may deduplicate on it)."""

    def send(self, phone: str, text: str, kind: str, message_id: int | None = None) -> None:
        raise NotImplementedError


class LogGateway(Gateway):
    """The default: writes that a message would go out (kind, masked phone, segments), never the text."""

    def send(self, phone, text, kind, message_id=None):
        log.info("sms %s to %s (%d segment(s), id %s)", kind, mask_phone(phone), sms_segments(text), message_id)


class HttpGateway(Gateway):
    """A generic HTTP gateway: POST of SMS_HTTP_TEMPLATE (JSON with {phone}, {text}, {id}) to SMS_HTTP_URL."""

    DEFAULT_TEMPLATE = '{"phone": "{phone}", "text": "{text}", "id": "{id}"}'

    def __init__(self, url: str, template: str | None = None, timeout: float = 10.0, headers: dict | None = None):
        if not url:
            raise RuntimeError("SMS_HTTP_URL is not set")
        self.url, self.template, self.timeout = url, template or self.DEFAULT_TEMPLATE, timeout
        self.headers = headers or {}

    def body(self, phone: str, text: str, message_id) -> bytes:
        def esc(value) -> str:  # JSON-escaped without the quotes, so the template stays valid JSON
            return json.dumps(str(value), ensure_ascii=False)[1:-1]
        out = self.template.replace("{phone}", esc(phone)).replace("{text}", esc(text)).replace("{id}", esc(message_id))
        return out.encode("utf-8")

    def send(self, phone, text, kind, message_id=None):
        request = urllib.request.Request(self.url, data=self.body(phone, text, message_id), method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise RuntimeError(f"gateway answered {response.status}")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"gateway answered {err.code}") from None
        log.info("sms %s to %s handed to the gateway (id %s)", kind, mask_phone(phone), message_id)


def gateway() -> Gateway:
    """The configured gateway: SMS_BACKEND=log|http (or an object set as SMS_GATEWAY, e.g. in tests)."""
    configured = current_app.config.get("SMS_GATEWAY")
    if configured is not None:
        return configured
    backend = current_app.config.get("SMS_BACKEND", "log")
    if backend == "http":
        import os
        return HttpGateway(current_app.config.get("SMS_HTTP_URL") or os.environ.get("SMS_HTTP_URL", ""),
                           current_app.config.get("SMS_HTTP_TEMPLATE") or os.environ.get("SMS_HTTP_TEMPLATE"))
    return LogGateway()
