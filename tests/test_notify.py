"""SMS: segment arithmetic, the texts within two segments, masked logs, the outbox with retries, reminders."""
import json
import logging
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from queue_app import cases, clock, jobs, notify
from queue_app.extensions import db
from queue_app.models import AuditLog, Booking, Case, Office, Outbox
from scheduling import KYIV

from .test_booking_support import NOW, Clock, RecordingGateway, api_book, login, office, outbox, service, staff


@pytest.fixture
def now(monkeypatch):
    c = Clock(NOW)
    monkeypatch.setattr(clock, "now", c)
    return c


# ---------------------------------------------------------------- segments

def test_segment_arithmetic():
    assert notify.sms_segments("а" * 70) == 1            # Cyrillic is UCS-2: 70 in one SMS
    assert notify.sms_segments("а" * 71) == 2            # … 67 a part once split
    assert notify.sms_segments("а" * 134) == 2
    assert notify.sms_segments("а" * 135) == 3
    assert notify.sms_segments("a" * 160) == 1           # plain Latin is GSM-7: 160 / 153
    assert notify.sms_segments("a" * 161) == 2
    assert notify.sms_segments("a" * 159 + "€") == 2     # an extension character counts twice
    assert notify.sms_segments("a" * 100 + "«") == 2     # one non-GSM character makes the whole text UCS-2
    assert notify.sms_units("😀") == ("ucs2", 2)          # a surrogate pair is two UCS-2 units


def test_mask_phone():
    assert notify.mask_phone("+380671234567") == "+38067***4567"
    assert notify.mask_phone(None) == "-"


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:8000", "https://viza.kr.gov.ua", "https://cnap.example.org"])
def test_every_text_fits_two_segments_for_every_office(app, public_url):
    app.config["PUBLIC_URL"] = public_url
    pickup = service("pickup")
    for o in db.session.scalars(select(Office)).all():
        case = Case(code="987654", office=o, service=pickup, status="ready")
        b = Booking(code="123456", office=o, service=pickup, day=datetime(2026, 12, 31).date(),
                    start=datetime(2026, 1, 1, 19, 50).time(), end=datetime(2026, 1, 1, 20, 0).time())
        texts = [notify.text_documents_ready(case), notify.text_booking_confirmed(b), notify.text_reminder(b),
                 notify.text_booking_cancelled(b), notify.text_verify_code("1234")]
        for text in texts:
            assert notify.sms_segments(text) <= 2, (o.code, len(text), text)
        ready = texts[0]
        # The seed's format: «Документи готові (Код №XXXXXX), адреса отримання, реєстрація <link>».
        assert ready.startswith("Документи готові (Код №987654), ")
        assert "реєстрація " + notify.case_link(case) in ready
        assert "123456" in texts[1] and "123456" in texts[2] and "31.12" in texts[1]
        db.session.expunge_all()


@pytest.mark.parametrize("code, street", [("saksahanskyi", "вул. Володимира Великого, 32"),
                                          ("inhulets", "вул. Гірників, 19"), ("main", "пл. Молодіжна, 1")])
def test_the_ready_text_keeps_the_street_address(app, code, street):
    app.config["PUBLIC_URL"] = "https://viza.kr.gov.ua"
    case = Case(code="987654", office=office(code), service=service("pickup"))
    text = notify.text_documents_ready(case)
    assert f"адреса отримання: {street}, реєстрація" in text and notify.sms_segments(text) == 2


# ---------------------------------------------------------------- the log backend

def test_the_log_backend_logs_kind_and_masked_phone_only(client, app, now, caplog, monkeypatch):
    # Alembic's fileConfig (run when the test template is migrated) disables loggers that existed before it.
    monkeypatch.setattr(notify.log, "disabled", False)
    caplog.set_level(logging.INFO)
    assert api_book(client, phone="+380671234567").status_code == 201
    notify.drain()
    (row,) = outbox("booking_confirmed")
    assert row.status == "sent" and row.attempts == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "booking_confirmed" in logged and "+38067***4567" in logged
    assert "+380671234567" not in logged and "0671234567" not in logged
    assert "Олена" not in logged and row.body not in logged and "Код" not in logged


# ---------------------------------------------------------------- the outbox

def test_a_failing_gateway_loses_nothing_and_sends_each_message_once(client, app, now):
    gateway = RecordingGateway(fail=2)
    app.config["SMS_GATEWAY"] = gateway
    assert api_book(client, phone="+380671234567").status_code == 201
    assert api_book(client, phone="+380501112233", start="11:00").status_code == 201
    first, second = outbox()

    assert notify.drain() == {"sent": 0, "failed": 2, "skipped": 0}  # the gateway is down
    first, second = outbox()
    assert (first.status, first.attempts, second.attempts) == ("pending", 1, 1)
    assert first.last_error.startswith("ConnectionError") and "gateway down" in first.last_error
    assert first.next_attempt_at == NOW + timedelta(minutes=1)  # back-off after the first failure

    assert notify.drain() == {"sent": 0, "failed": 0, "skipped": 0}  # not due yet
    now.moment = NOW + timedelta(minutes=1)
    assert notify.drain() == {"sent": 2, "failed": 0, "skipped": 0}
    assert notify.drain() == {"sent": 0, "failed": 0, "skipped": 0}
    now.moment = NOW + timedelta(days=1)
    assert notify.drain() == {"sent": 0, "failed": 0, "skipped": 0}
    first, second = outbox()
    assert (first.status, second.status) == ("sent", "sent") and first.last_error is None
    assert sorted(m[0] for m in gateway.sent) == [first.id, second.id]  # each exactly once


def test_backoff_grows_and_gives_up():
    assert [notify.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 10)] == [1, 2, 4, 8, 60, 60]


def test_a_message_that_keeps_failing_is_marked_failed(client, app, now):
    app.config["SMS_GATEWAY"] = RecordingGateway(fail=100)
    assert api_book(client).status_code == 201
    for _ in range(notify.MAX_ATTEMPTS):
        notify.drain()
        now.moment += timedelta(hours=2)
    (row,) = outbox()
    assert row.status == "failed" and row.attempts == notify.MAX_ATTEMPTS


def test_an_sms_given_up_on_is_an_error_and_its_office_may_send_it_again(client, app, now, caplog):
    """Given up on after MAX_ATTEMPTS: an ERROR line for monitoring (masked phone), the row on its office's
    dashboard (masked, the error's type only), and «Надіслати ще раз» puts it back with fresh attempts."""
    gateway = RecordingGateway(fail=notify.MAX_ATTEMPTS)
    app.config["SMS_GATEWAY"] = gateway
    assert api_book(client, phone="+380671234567").status_code == 201
    with caplog.at_level(logging.WARNING, logger="queue_app.notify"):
        for _ in range(notify.MAX_ATTEMPTS):
            notify.drain()
            now.moment += timedelta(hours=2)
    (row,) = outbox()
    assert row.status == "failed"
    given_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(given_up) == 1 and "given up" in given_up[0].getMessage()
    assert "1234567" not in caplog.text and "+38067***4567" in given_up[0].getMessage()

    staff("boss-elsewhere", office_code="main")
    login(client, "boss-elsewhere")
    assert "+38067***4567" not in client.get("/admin/dashboard/main").text
    assert client.post(f"/admin/dashboard/pokrovskyi/sms/{row.id}/again").status_code == 403
    assert client.post(f"/admin/dashboard/main/sms/{row.id}/again").status_code == 403  # through their own page
    client.post("/logout")

    staff("manager1")
    login(client)
    page = client.get("/admin/dashboard/pokrovskyi").text
    assert "+38067***4567" in page and "1234567" not in page and "ConnectionError" in page
    assert "gateway down" not in page and "підтвердження запису" in page
    r = client.post(f"/admin/dashboard/pokrovskyi/sms/{row.id}/again")
    assert r.status_code == 303
    (row,) = outbox()
    assert (row.status, row.attempts) == ("pending", 0)
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.entity == "outbox")) == "sms_again"
    again = client.post(f"/admin/dashboard/pokrovskyi/sms/{row.id}/again", follow_redirects=True)  # a stale page
    assert "вже не очікує" in again.text and outbox()[0].attempts == 0
    assert notify.drain()["sent"] == 1 and [m[0] for m in gateway.sent] == [row.id]
    assert "+38067***4567" not in client.get("/admin/dashboard/pokrovskyi").text


def test_a_claimed_message_is_not_sent_by_a_second_sender(client, app, now):
    gateway = RecordingGateway()
    app.config["SMS_GATEWAY"] = gateway
    assert api_book(client).status_code == 201
    (row,) = outbox()
    assert notify._claim(row.id, NOW) is True
    assert notify._claim(row.id, NOW) is False  # the lease holds it for the first sender
    assert notify.drain() == {"sent": 0, "failed": 0, "skipped": 0}


def test_outbox_send_command(client, app, now):
    gateway = RecordingGateway()
    app.config["SMS_GATEWAY"] = gateway
    assert api_book(client).status_code == 201
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "sent=1" in result.output
    assert len(gateway.sent) == 1


class _Gateway(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body.decode("utf-8")))
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_the_http_backend_retries_after_a_gateway_error(client, app, now):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Gateway.answers, _Gateway.received = [503], []
    try:
        app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{server.server_port}/send",
                          SMS_HTTP_TEMPLATE='{"to": "{phone}", "message": "{text}", "ref": "{id}", "sender": "CNAP"}')
        assert api_book(client).status_code == 201
        assert notify.drain()["failed"] == 1
        (row,) = outbox()
        assert row.last_error == "RuntimeError: gateway answered 503"
        now.moment = NOW + timedelta(minutes=2)
        assert notify.drain()["sent"] == 1
        first, second = _Gateway.received
        assert first == second  # the same message, the same reference: a gateway may deduplicate on it
        assert second["to"] == "+380671234567" and second["sender"] == "CNAP" and second["ref"] == str(row.id)
        assert second["message"] == row.body and "ЦНАП «Віза»" in second["message"]
    finally:
        server.shutdown()


def test_the_http_backend_keeps_json_valid_with_quotes_and_newlines():
    gw = notify.HttpGateway("http://example.invalid/", '{"t": "{text}"}')
    assert json.loads(gw.body("+380671234567", 'він сказав "так"\nі пішов', 5)) == {"t": 'він сказав "так"\nі пішов'}


# ---------------------------------------------------------------- reminders

def test_the_reminder_goes_once_and_only_once(client, app, now):
    gateway = RecordingGateway()
    app.config["SMS_GATEWAY"] = gateway
    assert api_book(client).status_code == 201  # Monday 30 November, 10:00
    now.moment = datetime(2026, 11, 29, 8, 0, tzinfo=KYIV)  # the day before, too early in the morning
    assert jobs.queue_reminders() == 0
    now.moment = datetime(2026, 11, 29, 9, 0, tzinfo=KYIV)
    assert jobs.queue_reminders() == 1
    assert jobs.queue_reminders() == 0  # a second run adds nothing
    jobs.run_all()
    now.moment = datetime(2026, 11, 29, 18, 0, tzinfo=KYIV)
    jobs.run_all()
    assert app.test_cli_runner().invoke(args=["jobs", "run"]).exit_code == 0
    reminders = [m for m in gateway.sent if m[1] == "reminder"]
    assert len(reminders) == 1 and len(outbox("reminder")) == 1
    assert "завтра о 10:00" in reminders[0][3] and notify.sms_segments(reminders[0][3]) <= 2


def test_no_reminder_for_a_cancelled_booking(client, app, now):
    r = api_book(client)
    b = r.get_json()
    assert client.delete(f"/api/v1/bookings/{b['code']}?token={b['manage_token']}").status_code == 204
    now.moment = datetime(2026, 11, 29, 12, 0, tzinfo=KYIV)
    assert jobs.queue_reminders() == 0
    assert [o.kind for o in outbox()] == ["booking_confirmed", "booking_cancelled"]
    assert "скасовано" in outbox("booking_cancelled")[0].body


def test_a_duplicate_reminder_is_refused_by_the_database(client, app, now):
    assert api_book(client).status_code == 201
    booking_id = db.session.scalar(select(Booking.id))
    notify.enqueue("reminder", "+380671234567", "x", booking_id=booking_id, dedupe_key=f"reminder:{booking_id}")
    db.session.commit()
    from sqlalchemy.exc import IntegrityError
    notify.enqueue("reminder", "+380671234567", "x", booking_id=booking_id, dedupe_key=f"reminder:{booking_id}")
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert len(db.session.scalars(select(Outbox).where(Outbox.kind == "reminder")).all()) == 1


def test_ready_sms_is_queued_with_the_status_in_one_transaction(client, app, now):
    """If the commit fails, neither the status nor the message is stored."""
    with app.test_request_context():
        case = cases.create_case(office("main"), service("pickup"), "+380671234567")
        original = db.session.commit
        calls = []

        def failing_commit():
            calls.append(1)
            db.session.rollback()
            raise RuntimeError("database went away")

        db.session.commit = failing_commit
        try:
            with pytest.raises(RuntimeError):
                cases.set_status(case, "ready")
        finally:
            db.session.commit = original
        db.session.expire_all()
        assert db.session.get(Case, case.id).status == "accepted" and outbox() == []
        cases.set_status(db.session.get(Case, case.id), "ready")
        assert [o.kind for o in outbox()] == ["documents_ready"]
