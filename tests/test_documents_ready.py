"""Seed 000 end to end: a case set ready → the SMS in the outbox with the code and a link → the link books a
pick-up tied to the case → the kiosk check-in with that booking issues a ticket."""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Booking, Case, Ticket
from scheduling import KYIV

from .test_booking_support import MONDAY, NOW, Clock, outbox, staff, token


@pytest.fixture
def now(monkeypatch):
    c = Clock(NOW)
    monkeypatch.setattr(clock, "now", c)
    return c


def test_documents_ready_to_a_ticket(client, app, now):
    app.config["PUBLIC_URL"] = "https://viza.kr.gov.ua"
    staff("clerk", role="operator", office_code="pokrovskyi")
    auth = {"Authorization": f"Bearer {token(client, 'clerk')}"}
    r = client.post("/api/v1/cases", json={"office": "pokrovskyi", "service": "pickup", "phone": "+380671234567"},
                    headers=auth)
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["code"]
    assert len(code) == 6 and code.isdigit()

    # 1. The clerk sets the case ready: the SMS is in the outbox, in the seed's format.
    r = client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"}, headers=auth)
    assert r.status_code == 200 and r.get_json()["status"] == "ready"
    (sms,) = outbox("documents_ready")
    assert sms.phone == "+380671234567" and sms.status == "pending"
    assert sms.body.startswith(f"Документи готові (Код №{code}), адреса отримання: вул. Шурупова, 2")
    link = re.search(r"реєстрація (\S+)$", sms.body).group(1)
    assert link.startswith(f"https://viza.kr.gov.ua/r/{code}/")

    # 2. The link pre-selects the pick-up service at the office that holds the result.
    r = client.get(urlsplit(link).path)
    assert r.status_code == 302
    calendar = client.get(r.headers["Location"])
    assert calendar.status_code == 200
    assert f"справою № {code}" in calendar.text and "Видача результату послуги" in calendar.text
    day_link = re.search(r'href="([^"]*date=%s[^"]*)"' % MONDAY.isoformat(), calendar.text).group(1)
    times = client.get(day_link.replace("&amp;", "&"))
    assert times.status_code == 200 and 'name="case"' in times.text
    form = {m.group(1): m.group(2) for m in re.finditer(r'<input type="hidden" name="(\w+)" value="([^"]*)"',
                                                       times.text)}
    r = client.post("/book/hold", data=form | {"start": "10:00"})
    assert r.status_code == 302
    r = client.post(r.headers["Location"], data={"name": "Олена Петренко", "phone": "+380671234567",
                                                 "consent": "1"})
    assert r.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.status == "booked"))
    case = db.session.scalar(select(Case).where(Case.code == code))
    assert booking.case_id == case.id and booking.service.code == "pickup" and booking.office.code == "pokrovskyi"
    assert (booking.day, booking.start.strftime("%H:%M")) == (MONDAY, "10:00")

    # The same link cannot book a second pick-up for the case.
    again = client.post("/book/hold", data=form | {"start": "11:00"})
    assert again.status_code == 409 and "уже є запис" in again.text

    # 3. On the day, at the kiosk, near the booked time: a ticket.
    now.moment = datetime(2026, 11, 30, 9, 50, tzinfo=KYIV)
    r = client.post("/api/v1/offices/pokrovskyi/tickets", json={"booking_code": booking.code})
    assert r.status_code == 201, r.get_json()
    ticket = db.session.get(Ticket, r.get_json()["id"])
    assert ticket.booking_id == booking.id and ticket.source == "booking"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "checked_in"


def test_a_forged_or_stale_link_books_nothing(client, app, now):
    staff("clerk", role="operator", office_code="pokrovskyi")
    auth = {"Authorization": f"Bearer {token(client, 'clerk')}"}
    code = client.post("/api/v1/cases", json={"office": "pokrovskyi", "service": "pickup"},
                       headers=auth).get_json()["code"]
    client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"}, headers=auth)
    assert outbox() == []  # no phone, no SMS
    r = client.get(f"/r/{code}/00000000")
    assert r.status_code == 404 and "Посилання недійсне" in r.text
    r = client.get(f"/book?case={code}&sig=00000000")
    assert r.status_code == 404 and "Посилання недійсне" in r.text
    r = client.post("/book/hold", data={"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(),
                                        "start": "10:00", "case": code, "sig": "bad"})
    assert r.status_code == 404 and db.session.scalar(select(Booking.id)) is None
    # Once issued, the real link no longer works either.
    from queue_app.notify import case_signature
    with app.test_request_context():
        sig = case_signature(code)
    assert client.get(f"/r/{code}/{sig}").status_code == 302
    client.post(f"/api/v1/cases/{code}/status", json={"status": "issued"}, headers=auth)
    assert client.get(f"/r/{code}/{sig}").status_code == 404
