"""Against scalping and no-shows: per-phone limits, the no-show block, the SMS code, rate limits."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from queue_app import bookings, clock, jobs
from queue_app.extensions import db
from queue_app.models import Booking
from scheduling import KYIV

from .conftest import ENGINE_URL, make_app
from .test_booking_support import MONDAY, NOW, TUESDAY, Clock, RecordingGateway, api_book, login, outbox, staff


@pytest.fixture
def now(monkeypatch):
    c = Clock(NOW)
    monkeypatch.setattr(clock, "now", c)
    return c


def test_one_booking_per_phone_service_and_day(client, now):
    assert api_book(client, start="10:00").status_code == 201
    r = api_book(client, start="11:00", phone="067 123-45-67")  # the same number written differently
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_booking"
    assert api_book(client, start="11:00", day=TUESDAY).status_code == 201  # another day is fine
    assert api_book(client, start="11:00", phone="+380501112233").status_code == 201  # another phone too


def test_at_most_three_live_bookings_per_phone(client, now):
    days = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    for d in days[:3]:
        assert api_book(client, day=d).status_code == 201
    r = api_book(client, day=days[3])
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "too_many_bookings"
    assert "активних" in r.get_json()["error"]["message"]
    first = db.session.scalar(select(Booking).order_by(Booking.id))
    bookings.cancel_booking(first)  # cancelling one makes room
    assert api_book(client, day=days[3]).status_code == 201


def test_the_cap_counts_a_pending_hold_page_booking(client, now):
    """The page path checks at the details step: a fourth booking there is refused with a clear message."""
    for d in (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)):
        assert api_book(client, day=d).status_code == 201
    r = client.post("/book/hold", data={"office": "pokrovskyi", "service": "pickup", "date": "2026-12-03",
                                        "start": "10:00"})
    page = client.post(r.headers["Location"], data={"name": "Олена Петренко", "phone": "+380671234567",
                                                    "consent": "1"})
    assert page.status_code == 422 and "активних записи" in page.text


def _no_show_on(client, now, d: date, phone="+380671234567"):
    now.moment = datetime.combine(d - timedelta(days=3), datetime.min.time(), KYIV).replace(hour=10)
    assert api_book(client, day=d, phone=phone).status_code == 201
    now.moment = datetime.combine(d, datetime.min.time(), KYIV).replace(hour=10, minute=31)  # start + 30 min + 1
    assert jobs.mark_no_shows() == 1


def test_three_no_shows_block_online_booking_for_thirty_days(client, now):
    for d in (date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)):
        _no_show_on(client, now, d)
    assert bookings.no_show_count("+380671234567") == 3
    r = api_book(client, day=date(2026, 12, 21))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "phone_blocked"
    assert "0-800-500-459" in r.get_json()["error"]["message"]
    # Thirty days after the last no-show the phone may book again.
    now.moment = datetime(2027, 1, 14, 10, 0, tzinfo=KYIV)
    assert bookings.blocked_until("+380671234567") is None
    assert api_book(client, day=date(2027, 1, 18)).status_code == 201


def test_a_booking_checked_in_late_is_not_a_no_show(client, now):
    assert api_book(client).status_code == 201
    now.moment = datetime(2026, 11, 30, 10, 29, tzinfo=KYIV)  # inside the tolerance
    assert jobs.mark_no_shows() == 0
    now.moment = datetime(2026, 11, 30, 10, 31, tzinfo=KYIV)
    assert jobs.mark_no_shows() == 1
    assert db.session.scalar(select(Booking.status)) == "no_show"
    assert db.session.scalar(select(Booking.window_id)) is None  # the place is released


def test_the_manager_sees_the_count_and_can_forgive(client, now):
    for d in (date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)):
        _no_show_on(client, now, d)
    assert client.get("/book/no-shows?format=json").status_code == 302  # login first
    staff("op1", role="operator")
    login(client, "op1")
    assert client.get("/book/no-shows?format=json").status_code == 403
    client.post("/logout")
    staff()
    login(client)
    body = client.get("/book/no-shows?format=json").get_json()
    assert body["limit"] == 3 and body["window_days"] == 90 and body["block_days"] == 30
    assert body["phones"] == [{"phone": "+38067***4567", "no_shows": 3, "last_no_show": "2026-12-14",
                               "blocked_until": body["phones"][0]["blocked_until"], "phone_masked": "+38067***4567"}]
    assert body["phones"][0]["blocked_until"].startswith("2027-01-14")
    page = client.get("/book/no-shows")
    assert page.status_code == 200 and "+38067***4567" in page.text
    assert client.post("/book/no-shows", data={"phone": "+380671234567", "action": "forgive"}).status_code == 302
    assert api_book(client, day=date(2026, 12, 21)).status_code == 201
    bad = client.post("/book/no-shows", data={"phone": "nonsense", "action": "forgive"})
    assert bad.status_code == 422 and "Телефон має бути" in bad.text
    bad = client.post("/book/no-shows", data={"phone": "+380671234567", "action": "explode"})
    assert bad.status_code == 422
    assert client.post("/book/no-shows", data={"phone": "+380501112233", "action": "block"}).status_code == 302
    assert api_book(client, day=date(2026, 12, 22), phone="+380501112233").status_code == 403


@pytest.mark.skipif(ENGINE_URL is not None, reason="SQLite's query plans")
def test_a_booking_found_by_code_phone_or_status_reads_no_whole_table(client, now, full_scans):
    """Bookings are kept until retention erases them (years of rows): booking, opening one by its link,
    the per-phone checks and the jobs' sweeps go through indexes, not through every booking kept."""
    _no_show_on(client, now, date(2026, 11, 30))
    now.moment = datetime(2026, 12, 6, 10, 0, tzinfo=KYIV)  # a Sunday: reminders of Monday's bookings go out
    full_scans.clear()
    made = api_book(client, day=date(2026, 12, 7)).get_json()
    assert client.get(made["manage_url"]).status_code == 200
    assert jobs.queue_reminders() == 1
    assert jobs.expire_holds() == 0 and jobs.mark_no_shows() == 0  # Monday's booking is not due yet
    assert [row["no_shows"] for row in bookings.no_show_report()] == [1]
    assert full_scans == []


def test_sms_code_confirms_the_phone_when_switched_on(client, app, now):
    app.config["BOOKING_VERIFY_PHONE"] = True
    gateway = RecordingGateway()
    app.config["SMS_GATEWAY"] = gateway
    r = api_book(client)
    assert r.status_code == 201
    b = r.get_json()
    assert b["status"] == "held" and "hold_expires_at" in b
    assert [k for _id, k, _p, _t in gateway.sent] == ["verify_code"]  # sent at once, not at the next job run
    code = gateway.sent[0][3][-4:]
    url = f"/api/v1/bookings/{b['code']}/verify?token={b['manage_token']}"
    wrong = "0000" if code != "0000" else "1111"
    r = client.post(url, json={"sms_code": wrong})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "wrong_code"
    assert client.post(url, json={}).get_json()["error"]["code"] == "missing_field"
    r = client.post(url, json={"sms_code": code})
    assert r.status_code == 200 and r.get_json()["status"] == "booked"
    assert [o.kind for o in outbox()] == ["verify_code", "booking_confirmed"]


def test_sms_code_on_the_pages(client, app, now):
    app.config["BOOKING_VERIFY_PHONE"] = True
    gateway = RecordingGateway()
    app.config["SMS_GATEWAY"] = gateway
    r = client.post("/book/hold", data={"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(),
                                        "start": "10:00"})
    details = r.headers["Location"]
    r = client.post(details, data={"name": "Олена Петренко", "phone": "+380671234567", "consent": "1"})
    assert r.status_code == 302 and "/book/verify/" in r.headers["Location"]
    page = client.get(r.headers["Location"])
    assert "+38067***4567" in page.text and "+380671234567" not in page.text
    bad = client.post(r.headers["Location"], data={"sms_code": "abc"})
    assert bad.status_code == 422 and "Неправильний код" in bad.text
    ok = client.post(r.headers["Location"], data={"sms_code": gateway.sent[0][3][-4:]})
    assert ok.status_code == 302 and "/b/" in ok.headers["Location"]
    assert db.session.scalar(select(Booking.status)) == "booked"


def test_rate_limits_answer_429_in_the_contract_format(database_url, monkeypatch):
    monkeypatch.setattr(clock, "now", Clock(NOW))
    app = make_app(database_url, RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        statuses = [api_book(client, phone=f"+38067000000{i}", start=f"1{i}:00").status_code for i in range(6)]
        assert statuses[:5].count(429) == 0 and statuses[5] == 429
        r = api_book(client, phone="+380670000009")
        assert r.get_json()["error"]["code"] == "too_many_requests"
        pages = [client.get(f"/status?code=12345{i}").status_code for i in range(11)]
        assert pages[-1] == 429 and 429 not in pages[:10]
        db.session.remove()
        db.engine.dispose()


def test_settings_come_from_the_environment(app, monkeypatch):
    monkeypatch.setenv("BOOKING_VERIFY_PHONE", "1")
    monkeypatch.setenv("BOOKING_MAX_PER_PHONE", "5")
    assert bookings.setting("BOOKING_VERIFY_PHONE") is True and bookings.setting("BOOKING_MAX_PER_PHONE") == 5
    app.config["BOOKING_MAX_PER_PHONE"] = 2  # the app config wins
    assert bookings.setting("BOOKING_MAX_PER_PHONE") == 2
    monkeypatch.delenv("BOOKING_VERIFY_PHONE")
    assert bookings.setting("BOOKING_VERIFY_PHONE") is False and bookings.setting("BOOKING_HOLD_MINUTES") == 10
