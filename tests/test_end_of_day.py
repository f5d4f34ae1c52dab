"""Issue 8: at the end of the working day, tickets still waiting are cancelled with an event (jobs.py)."""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from queue_app import clock, jobs, tickets
from queue_app.extensions import db
from queue_app.models import Booking, Event, Office, Service, Ticket
from scheduling import KYIV

# A Monday: the main office receives 09:00–16:00 and works until 17:00, serving the hall after reception.
MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=KYIV)


def issue(client) -> Ticket:
    r = client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert r.status_code == 201, r.get_json()
    return db.session.get(Ticket, r.get_json()["id"])


def test_waiting_tickets_are_cancelled_once_the_office_closes(client, monkeypatch):
    now = [MONDAY - timedelta(days=3)]  # the Friday before: a ticket left over from an earlier day
    monkeypatch.setattr(clock, "now", lambda: now[0])
    stale = issue(client)
    now[0] = MONDAY
    waiting = [issue(client) for _ in range(3)]
    main = db.session.scalar(select(Office).where(Office.code == "main"))
    window = next(w for w in main.windows if waiting[0].service in w.services)
    assert tickets.call_next(window).id == waiting[0].id

    assert jobs.cancel_at_closing(MONDAY.replace(hour=16, minute=30)) == 1  # reception over, work is not
    assert db.session.get(Ticket, stale.id).status == "cancelled"
    assert {db.session.get(Ticket, t.id).status for t in waiting[1:]} == {"waiting"}

    closing = MONDAY.replace(hour=17, minute=0)
    assert jobs.cancel_at_closing(closing) == 2
    db.session.expire_all()
    assert [db.session.get(Ticket, t.id).status for t in waiting] == ["called", "cancelled", "cancelled"]
    assert db.session.get(Ticket, waiting[1].id).finished_at == closing
    events = db.session.scalars(select(Event).where(Event.kind == "cancelled").order_by(Event.id)).all()
    assert [e.ticket_id for e in events] == [stale.id, waiting[1].id, waiting[2].id]
    assert all(e.data == {"reason": "closing"} for e in events)
    assert jobs.cancel_at_closing(closing + timedelta(minutes=1)) == 0  # cron runs again: nothing more


def test_jobs_run_includes_the_closing(app, client, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    issue(client)
    monkeypatch.setattr(clock, "now", lambda: MONDAY.replace(hour=17, minute=1))
    out = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert out.exit_code == 0 and "cancelled_at_closing=1" in out.output
    assert app.test_cli_runner().invoke(args=["jobs", "close-day"]).output.strip() == "cancelled 0"


def test_a_checked_in_booking_ends_with_its_ticket_and_staff_screens_are_told(client, monkeypatch):
    now = [MONDAY.replace(hour=15, minute=50)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    told = []
    monkeypatch.setattr(jobs.realtime, "queue_changed", told.append)
    main = db.session.scalar(select(Office).where(Office.code == "main"))
    pickup = db.session.scalar(select(Service).where(Service.code == "pickup"))
    db.session.add(Booking(code="424242", office_id=main.id, service_id=pickup.id, day=MONDAY.date(),
                           start=time(15, 55), end=time(16, 5), status="booked", manage_token_hash="x" * 64))
    db.session.commit()
    r = client.post("/api/v1/offices/main/tickets", json={"booking_code": "424242"})
    assert r.status_code == 201, r.get_json()
    told.clear()  # issuing nudged them too
    assert jobs.cancel_at_closing(MONDAY.replace(hour=17, minute=0)) == 1
    db.session.expire_all()
    assert db.session.scalar(select(Booking).where(Booking.code == "424242")).status == "cancelled"
    assert told == ["main"]
