"""Issue 3, the Flask side: slots and bookings through the contract, and the race for the last place."""
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Booking, Office, OfficeService, Service
from scheduling import KYIV

MONDAY = date(2026, 11, 30)  # a Monday a week after "now" below


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 23, 10, 0, tzinfo=KYIV))


def _office(code):
    return db.session.scalar(select(Office).where(Office.code == code))


def one_window_one_place(office_code="pokrovskyi", service_code="pickup"):
    """Leave one active window serving the service and keep nothing for walk-ins: capacity 1 a slot."""
    office = _office(office_code)
    service = db.session.scalar(select(Service).where(Service.code == service_code))
    windows = [w for w in office.windows if service in w.services]
    for w in office.windows:
        w.active = w is windows[0]
    db.session.get(OfficeService, (office.id, service.id)).walk_in_share = 0.0
    db.session.commit()
    return office, service


def book(client, start="10:00", phone="+380671234567", **extra):
    body = {"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(), "start": start,
            "name": "Олена Петренко", "phone": phone} | extra
    return client.post("/api/v1/bookings", json=body)


def test_slots_follow_the_lunch_break_and_duration(client):
    r = client.get(f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}")
    assert r.status_code == 200
    body = r.get_json()
    assert (body["office"], body["service"], body["date"]) == ("pokrovskyi", "pickup", MONDAY.isoformat())
    starts = [s["start"] for s in body["slots"]]
    assert starts[0] == "09:00" and "12:20" in starts and "12:30" not in starts and "12:50" not in starts
    assert "13:00" in starts and body["slots"][-1]["end"] <= "16:00"
    assert all(s["free"] > 0 for s in body["slots"])


def test_closed_day_has_no_slots(client):
    r = client.get("/api/v1/offices/pokrovskyi/slots?service=pickup&date=2026-11-29")  # a Sunday
    assert r.status_code == 200 and r.get_json()["slots"] == []


@pytest.mark.parametrize("query, status, code", [
    ("service=pickup", 400, "invalid_date"),
    ("date=2026-11-30", 400, "unknown_service"),
    ("service=nothing&date=2026-11-30", 404, "unknown_service"),
    ("service=pickup&date=30.11.2026", 422, "invalid_date"),
])
def test_slots_bad_input(client, query, status, code):
    r = client.get(f"/api/v1/offices/pokrovskyi/slots?{query}")
    assert r.status_code == status and r.get_json()["error"]["code"] == code


def test_book_read_and_cancel_frees_the_slot(client):
    one_window_one_place()
    r = book(client)
    assert r.status_code == 201, r.get_json()
    b = r.get_json()
    assert len(b["code"]) == 6 and b["code"].isdigit()
    assert (b["start"], b["end"], b["date"]) == ("10:00", "10:10", MONDAY.isoformat())
    slots = client.get(f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}").get_json()["slots"]
    assert "10:00" not in [s["start"] for s in slots]
    got = client.get(f"/api/v1/bookings/{b['code']}?token={b['manage_token']}")
    assert got.status_code == 200 and got.get_json()["status"] == "booked"
    assert client.get(f"/api/v1/bookings/{b['code']}?token=wrong").status_code == 404
    assert book(client, phone="+380501112233").status_code == 409
    assert client.delete(f"/api/v1/bookings/{b['code']}?token={b['manage_token']}").status_code == 204
    slots = client.get(f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}").get_json()["slots"]
    assert "10:00" in [s["start"] for s in slots]
    assert client.get(f"/api/v1/bookings/{b['code']}?token={b['manage_token']}").get_json()["status"] == "cancelled"


@pytest.mark.parametrize("change, status, code", [
    ({"phone": "12345"}, 422, "invalid_phone"),
    ({"name": "<script>alert(1)</script>"}, 422, "invalid_name"),
    ({"name": "x" * 500}, 422, "invalid_name"),
    ({"start": "10:05"}, 409, "slot_taken"),
    ({"start": "25:00"}, 422, "invalid_time"),
    ({"date": "2026-02-30"}, 422, "invalid_date"),
    ({"service": "nothing"}, 422, "unknown_service"),
    ({"office": "nowhere"}, 404, "unknown_office"),
    ({"start": None}, 422, "missing_field"),
])
def test_booking_bad_input(client, change, status, code):
    r = book(client, **change)
    assert r.status_code == status and r.get_json()["error"]["code"] == code
    assert db.session.scalar(select(Booking.id)) is None  # nothing half written


def test_booking_too_soon_or_too_far_is_refused(client):
    assert book(client, date="2026-11-23", start="10:30").status_code == 409  # inside the minimum notice
    assert book(client, date="2027-03-01").status_code == 409  # past the horizon


def test_fifty_concurrent_requests_for_the_last_place(app, database_url):
    """One 201, the rest 409 slot_taken, whatever the engine; the database holds one booking."""
    one_window_one_place()
    results = []

    def attempt(i):
        with app.app_context():
            r = app.test_client().post("/api/v1/bookings", json={
                "office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(), "start": "10:00",
                "name": "Іван Коваль", "phone": f"+38067{i:07d}"})
            return r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    statuses = sorted(s for s, _ in results)
    assert statuses.count(201) == 1, results[:3]
    assert statuses.count(409) == 49
    assert all(body["error"]["code"] == "slot_taken" for s, body in results if s == 409)
    db.session.expire_all()
    assert len(db.session.scalars(select(Booking).where(Booking.status == "booked")).all()) == 1


def test_bookings_move_between_windows_to_make_room(client):
    """Windows share services: the only window for `other` may hold a pickup that can move elsewhere."""
    office = _office("pokrovskyi")
    pickup = db.session.scalar(select(Service).where(Service.code == "pickup"))
    other = next(s for s in office.windows[1].services if s.code != "pickup" and 60 % s.duration_min == 0)
    w1, w2, w3 = office.windows
    w1.services, w2.services, w3.active = [pickup, other], [pickup], False
    for s in (pickup, other):
        db.session.get(OfficeService, (office.id, s.id)).walk_in_share = 0.0
    db.session.commit()
    first = book(client, phone="+380670000001")
    assert first.status_code == 201
    # Whichever window the pickup got, `other` at 10:00 fits only if the pickup sits at window 2.
    assert book(client, service=other.code, phone="+380670000002").status_code == 201
    assert book(client, phone="+380670000003").status_code == 409
    db.session.expire_all()
    placed = {b.service.code: b.window_id for b in db.session.scalars(select(Booking))}
    assert placed == {"pickup": w2.id, other.code: w1.id}
