"""Holds: a slot kept while the form is filled in, and given back when the hold expires."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from queue_app import bookings, clock, jobs
from queue_app.errors import ApiError
from queue_app.extensions import db
from queue_app.models import Booking

from .test_booking_support import MONDAY, NOW, Clock, api_book, one_window_one_place


@pytest.fixture
def now(monkeypatch):
    c = Clock(NOW)
    monkeypatch.setattr(clock, "now", c)
    return c


def free_starts(client):
    r = client.get(f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}")
    return [s["start"] for s in r.get_json()["slots"]]


def test_a_hold_takes_the_place_until_it_expires(client, now):
    office, service = one_window_one_place()
    hold, _token = bookings.hold_slot(office, service, MONDAY, bookings.time(10, 0))
    assert hold.status == "held" and hold.name is None and hold.phone is None
    assert hold.hold_expires_at == NOW + timedelta(minutes=10)
    assert "10:00" not in free_starts(client)
    assert api_book(client).status_code == 409  # held: nobody else gets it

    now.moment = NOW + timedelta(minutes=10, seconds=1)  # past the hold
    assert "10:00" in free_starts(client)  # an expired hold no longer counts in the slots …
    r = api_book(client, phone="+380501112233")  # … nor in admission
    assert r.status_code == 201, r.get_json()
    db.session.expire_all()
    assert db.session.get(Booking, hold.id).status == "expired"  # expired lazily under the lock


def test_confirming_an_expired_hold_is_refused(app, now):
    office, service = one_window_one_place()
    hold, _token = bookings.hold_slot(office, service, MONDAY, bookings.time(10, 0))
    now.moment = NOW + timedelta(minutes=11)
    with app.test_request_context(), pytest.raises(ApiError) as err:
        bookings.confirm_hold(hold, "Олена Петренко", "+380671234567")
    assert err.value.code == "hold_expired"


def test_a_live_hold_is_confirmed_and_stays(client, now):
    office, service = one_window_one_place()
    hold, _token = bookings.hold_slot(office, service, MONDAY, bookings.time(10, 0))
    now.moment = NOW + timedelta(minutes=9)
    assert bookings.confirm_hold(hold, "Олена Петренко", "+380671234567") == "booked"
    now.moment = NOW + timedelta(hours=2)
    assert hold.status == "booked" and hold.hold_expires_at is None
    assert "10:00" not in free_starts(client)


def test_the_job_expires_old_holds(client, now):
    office, service = one_window_one_place()
    a, _ = bookings.hold_slot(office, service, MONDAY, bookings.time(10, 0))
    now.moment = NOW + timedelta(minutes=5)
    b, _ = bookings.hold_slot(office, service, MONDAY, bookings.time(11, 0))
    now.moment = NOW + timedelta(minutes=12)
    assert jobs.expire_holds() == 1
    db.session.expire_all()
    assert (db.session.get(Booking, a.id).status, db.session.get(Booking, b.id).status) == ("expired", "held")
    assert db.session.get(Booking, a.id).window_id is None


def test_an_expired_hold_reads_as_expired_through_the_api(client, now):
    office, service = one_window_one_place()
    hold, token = bookings.hold_slot(office, service, MONDAY, bookings.time(10, 0))
    now.moment = NOW + timedelta(minutes=30)
    r = client.get(f"/api/v1/bookings/{hold.code}?token={token}")
    assert r.status_code == 200 and r.get_json()["status"] == "expired"
    assert client.delete(f"/api/v1/bookings/{hold.code}?token={token}").get_json()["error"]["code"] == "not_cancellable"


def test_the_hold_page_shows_the_countdown_and_expires(client, now):
    one_window_one_place()
    r = client.post("/book/hold", data={"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(),
                                        "start": "10:00"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    assert page.status_code == 200 and 'data-expires-in="600"' in page.text
    now.moment = NOW + timedelta(minutes=10, seconds=5)
    late = client.post(r.headers["Location"], data={"name": "Олена Петренко", "phone": "0671234567", "consent": "1"})
    assert late.status_code == 409 and "минув" in late.text
    assert db.session.scalar(select(Booking.status)) == "expired"  # read lazily as expired
