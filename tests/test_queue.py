"""Issue 4: tickets, the call-next API, transfer, no-show, pauses, and the concurrent call race."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.api.auth import issue_token
from queue_app.extensions import db
from queue_app.models import Event, Office, Service, Staff, Ticket
from scheduling import KYIV

from .conftest import ENGINE_URL

TUESDAY = datetime(2026, 11, 24, 11, 0, tzinfo=KYIV)  # main office: reception 09:00–20:00


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def now(monkeypatch):
    c = Clock(TUESDAY)
    monkeypatch.setattr(clock, "now", c)
    return c


def office(code="main"):
    return db.session.scalar(select(Office).where(Office.code == code))


def service(code):
    return db.session.scalar(select(Service).where(Service.code == code))


@pytest.fixture
def staff(app):
    person = Staff(username="op", role="operator", office=office())
    person.set_password("secret-pass")
    db.session.add(person)
    db.session.commit()
    return person


@pytest.fixture
def auth(staff):
    return {"Authorization": f"Bearer {issue_token(staff)}"}


def window_for(service_code, n=0):
    return [w for w in office().windows if service(service_code) in w.services][n]


def issue(client, service_code="pickup", office_code="main"):
    r = client.post(f"/api/v1/offices/{office_code}/tickets", json={"service": service_code})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_numbers_per_letter_restart_each_day(client, now):
    a, b = issue(client), issue(client)
    assert (a["number"], b["number"]) == ("Р-001", "Р-002")
    assert issue(client, "17-02")["number"] == "З-001"
    assert b["position"] == 2 and a["status_url"].endswith(f"/t/{a['id']}")
    now.now = TUESDAY + timedelta(days=2)  # Thursday
    assert issue(client)["number"] == "Р-001"


def test_issue_refused_outside_reception_and_when_paused(client, now):
    now.now = TUESDAY.replace(hour=20, minute=30)
    r = client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "office_closed"
    assert "Прийом відновиться" in r.get_json()["error"]["message"]
    now.now = TUESDAY
    office().paused_reason = "Повітряна тривога"
    db.session.commit()
    r = client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "office_paused"


def test_issue_refused_near_closing_for_a_long_service(client, now):
    now.now = TUESDAY.replace(hour=19, minute=45)
    long_one = next(s for s in db.session.scalars(select(Service)) if s.duration_min >= 30)
    r = client.post("/api/v1/offices/main/tickets", json={"service": long_one.code})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "too_late_today"
    assert issue(client, "pickup")["number"] == "Р-001"  # a 10-minute pickup still fits


@pytest.mark.parametrize("body, status", [({}, 422), ({"service": "nothing"}, 422), ({"booking_code": "12ab"}, 422),
                                          ({"booking_code": "123456"}, 404)])
def test_issue_bad_input(client, now, body, status):
    assert client.post("/api/v1/offices/main/tickets", json=body).status_code == status
    assert client.post("/api/v1/offices/main/tickets", data="{").status_code == 400
    assert db.session.scalar(select(Ticket.id)) is None


def test_call_next_needs_a_token_and_the_right_office(client, now, app):
    w = window_for("pickup")
    assert client.post(f"/api/v1/windows/{w.id}/call-next").status_code == 401
    other = Staff(username="elsewhere", role="operator", office=office("pokrovskyi"))
    other.set_password("secret-pass")
    db.session.add(other)
    db.session.commit()
    r = client.post(f"/api/v1/windows/{w.id}/call-next", headers={"Authorization": f"Bearer {issue_token(other)}"})
    assert r.status_code == 403


def test_call_serve_complete_with_events(client, now, auth):
    t = issue(client)
    w = window_for("pickup")
    r = client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)
    assert r.status_code == 200 and r.get_json()["ticket"]["id"] == t["id"]
    assert client.get(f"/api/v1/tickets/{t['id']}").get_json()["status"] == "called"
    board = client.get("/api/v1/offices/main/board").get_json()
    assert board["calls"][0]["number"] == t["number"] and board["calls"][0]["window"] == w.number
    assert client.post(f"/api/v1/tickets/{t['id']}/recall", headers=auth).status_code == 200
    assert client.post(f"/api/v1/tickets/{t['id']}/start", headers=auth).get_json()["ticket"]["status"] == "serving"
    assert client.post(f"/api/v1/tickets/{t['id']}/complete", headers=auth).get_json()["ticket"]["status"] == "done"
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).status_code == 204
    kinds = [e.kind for e in db.session.scalars(select(Event).where(Event.ticket_id == t["id"]).order_by(Event.id))]
    assert kinds == ["issued", "called", "recalled", "started", "done"]


def test_next_logs_the_closing_before_the_call_and_alone_when_nobody_waits(client, now, auth):
    """"Next" writes the closing of the window's ticket and the new call in one statement: both land, in
    that order; with nobody waiting the closing is written on its own."""
    first, second = issue(client), issue(client)
    w = window_for("pickup")
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]["id"] == first["id"]
    client.post(f"/api/v1/tickets/{first['id']}/start", headers=auth)
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]["id"] == second["id"]
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).status_code == 204
    rows = db.session.execute(select(Event.ticket_id, Event.kind, Event.window_id, Event.staff_id)
                              .where(Event.kind != "issued").order_by(Event.id)).all()
    staff = db.session.scalar(select(Staff.id).where(Staff.username == "op"))
    assert [(r.ticket_id, r.kind) for r in rows] == [
        (first["id"], "called"), (first["id"], "started"), (first["id"], "done"), (second["id"], "called"),
        (second["id"], "done")]
    assert {(r.window_id, r.staff_id) for r in rows} == {(w.id, staff)}
    assert client.get(f"/api/v1/tickets/{second['id']}").get_json()["status"] == "done"


def test_the_call_answer_is_the_ticket_as_the_database_has_it(client, now, auth):
    """The operator's answer to a call is made from what the call had at hand (realtime.called_ticket_json),
    not read again: it must be what GET /tickets/{id} reads from the database, for "Next" and for a
    ticket picked from the list."""
    first, second = issue(client), issue(client)
    w = window_for("pickup")
    answered = client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]
    stored = client.get(f"/api/v1/tickets/{first['id']}").get_json()
    assert answered == {k: stored[k] for k in answered} and answered["status"] == "called"
    assert set(answered) >= {"id", "number", "service", "status", "window", "position", "estimated_wait_min", "office"}
    answered = client.post(f"/api/v1/windows/{w.id}/call/{second['id']}", headers=auth).get_json()["ticket"]
    stored = client.get(f"/api/v1/tickets/{second['id']}").get_json()
    assert answered == {k: stored[k] for k in answered} and answered["window"] == w.number


def test_call_next_skips_services_the_window_does_not_serve(client, now, auth):
    land = issue(client, "17-02")
    pickup = issue(client, "pickup")
    w = window_for("pickup")
    assert service("17-02") not in w.services
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]["id"] == pickup["id"]
    assert client.get(f"/api/v1/tickets/{land['id']}").get_json()["status"] == "waiting"


def test_no_show_and_closing_rules(client, now, auth):
    t = issue(client)
    w = window_for("pickup")
    assert client.post(f"/api/v1/tickets/{t['id']}/no-show", headers=auth).status_code == 409  # not called yet
    client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)
    r = client.post(f"/api/v1/tickets/{t['id']}/no-show", headers=auth)
    assert r.get_json()["ticket"]["status"] == "no_show"
    assert client.post(f"/api/v1/tickets/{t['id']}/recall", headers=auth).status_code == 409


def test_transfer_to_a_service_keeps_the_arrival_time(client, now, auth):
    first = issue(client)
    now.now = TUESDAY + timedelta(minutes=5)
    issue(client, "17-02")  # came later, for the other service
    w = window_for("pickup")
    client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)
    now.now = TUESDAY + timedelta(minutes=10)
    r = client.post(f"/api/v1/tickets/{first['id']}/transfer", json={"service": "17-02"}, headers=auth)
    assert r.status_code == 200 and r.get_json()["ticket"]["status"] == "waiting"
    land_window = window_for("17-02")
    called = client.post(f"/api/v1/windows/{land_window.id}/call-next", headers=auth).get_json()["ticket"]
    assert called["id"] == first["id"]  # first by its original arrival, ahead of the later 17-02 ticket
    assert db.session.get(Ticket, first["id"]).arrived_at == TUESDAY


def test_transfer_to_a_window_calls_it_there(client, now, auth):
    t = issue(client)
    w1, w2 = window_for("pickup", 0), window_for("pickup", 1)
    client.post(f"/api/v1/windows/{w1.id}/call-next", headers=auth)
    r = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"window": w2.id}, headers=auth)
    assert r.status_code == 200 and r.get_json()["ticket"]["window"] == w2.number
    bad = client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"window": window_for("17-02").id, "service": "x"},
                      headers=auth)
    assert bad.status_code == 422


def test_paused_window_does_not_call(client, now, auth):
    issue(client)
    w = window_for("pickup")
    assert client.post(f"/api/v1/windows/{w.id}/pause", json={"reason": "Обід"}, headers=auth).status_code == 200
    r = client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "window_paused"
    client.post(f"/api/v1/windows/{w.id}/resume", json={}, headers=auth)
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).status_code == 200


def test_office_pause_needs_a_manager_and_keeps_the_order(client, now, auth, staff):
    a, b = issue(client), issue(client)
    assert client.post("/api/v1/offices/main/pause", json={"reason": "Тривога"}, headers=auth).status_code == 403
    staff.role = "manager"
    db.session.commit()
    assert client.post("/api/v1/offices/main/pause", json={"reason": "Тривога"}, headers=auth).status_code == 200
    assert client.post("/api/v1/offices/main/tickets", json={"service": "pickup"}).status_code == 409
    assert client.get("/api/v1/offices/main/board").get_json()["paused"] == "Тривога"
    assert client.post("/api/v1/offices/main/resume", json={}, headers=auth).status_code == 200
    w = window_for("pickup")
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]["id"] == a["id"]
    assert client.get(f"/api/v1/tickets/{b['id']}").get_json()["position"] == 1


def test_concurrent_calls_never_share_a_ticket(app, now, staff):
    """Twelve windows press "Next" at once, three rounds; every ticket goes to at most one window."""
    pickup = service("pickup")
    windows = office().windows
    for w in windows:
        if pickup not in w.services:
            w.services.append(pickup)
    db.session.commit()
    client = app.test_client()
    issued = [issue(client)["id"] for _ in range(30)]
    headers = {"Authorization": f"Bearer {issue_token(staff)}"}
    window_ids = [w.id for w in windows]

    def press(window_id):
        with app.app_context():
            r = app.test_client().post(f"/api/v1/windows/{window_id}/call-next", headers=headers)
            assert r.status_code in (200, 204), r.get_data(as_text=True)
            return r.get_json()["ticket"]["id"] if r.status_code == 200 else None

    got = []
    with ThreadPoolExecutor(max_workers=len(window_ids)) as pool:
        for _ in range(3):
            got += [t for t in pool.map(press, window_ids) if t is not None]
    assert len(got) == len(set(got)) == 30
    assert set(got) == set(issued)
    called_events = db.session.scalars(select(Event.ticket_id).where(Event.kind == "called")).all()
    assert sorted(called_events) == sorted(got)


def _booking(when: str, phone: str):
    from datetime import time as dtime

    from queue_app.models import Booking
    h, m = map(int, when.split(":"))
    start = dtime(h, m)
    b = Booking(code=phone[-6:], office_id=office().id, service_id=service("pickup").id, day=TUESDAY.date(),
                start=start, end=dtime(h, m + 10) if m < 50 else dtime(h + 1, m - 50), window_id=window_for("pickup").id,
                status="booked", name="Тест", phone=phone, manage_token_hash="x")
    db.session.add(b)
    db.session.commit()
    return b


def test_resume_after_an_air_raid_alert_moves_the_bookings_due_during_it(client, now, staff, auth):
    staff.role = "manager"
    db.session.commit()
    early, during, later = _booking("10:50", "+380670000101"), _booking("11:15", "+380670000102"), \
        _booking("12:30", "+380670000103")
    client.post("/api/v1/offices/main/pause", json={"reason": "Повітряна тривога"}, headers=auth)
    now.now = TUESDAY + timedelta(minutes=40)
    assert client.post("/api/v1/offices/main/resume", json={}, headers=auth).status_code == 200
    db.session.expire_all()
    starts = {b.code: (b.start.strftime("%H:%M"), b.status) for b in (early, during, later)}
    assert starts == {"000101": ("11:30", "booked"), "000102": ("11:55", "booked"), "000103": ("12:30", "booked")}
    # The moved citizen checks in and is due at the new time.
    r = client.post("/api/v1/offices/main/tickets", json={"booking_code": "000102"})
    assert r.status_code == 201 and "11:55" in r.get_json()["note"]
    moved = db.session.scalars(select(Event).where(Event.kind == "booking_moved")).all()
    assert len(moved) == 2 and {e.data["by_min"] for e in moved} == {40}


def test_next_after_recalls_without_a_start_counts_a_no_show(client, now, auth):
    from queue_app.tickets import NO_SHOW_AFTER_RECALLS
    gone, served = issue(client), issue(client)
    w = window_for("pickup")
    client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)
    for _ in range(NO_SHOW_AFTER_RECALLS):
        client.post(f"/api/v1/tickets/{gone['id']}/recall", headers=auth)
    client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)  # nobody came: the next one
    client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)  # served without pressing start
    assert client.get(f"/api/v1/tickets/{gone['id']}").get_json()["status"] == "no_show"
    assert client.get(f"/api/v1/tickets/{served['id']}").get_json()["status"] == "done"


def test_priority_marked_at_the_window_moves_a_ticket_ahead(client, now, auth):
    first = issue(client)
    now.now += timedelta(minutes=5)
    veteran = issue(client)
    w = window_for("pickup")
    mark = lambda body: client.post(f"/api/v1/tickets/{veteran['id']}/priority", json=body, headers=auth)  # noqa: E731
    assert client.post(f"/api/v1/tickets/{veteran['id']}/priority", json={"category": "veteran"}).status_code == 401
    assert mark({"category": "no-such"}).status_code == 422
    assert mark({}).status_code == 422
    assert mark({"category": "veteran"}).get_json()["ticket"]["position"] == 1
    queue = client.get("/api/v1/offices/main/queue", headers=auth).get_json()
    assert [(x["id"], x["category"]) for x in queue["waiting"][:2]] == [(veteran["id"], "veteran"), (first["id"], None)]
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]["id"] == veteran["id"]
    assert mark({"category": None}).status_code == 409  # called: too late to mark
    event = db.session.scalar(select(Event).where(Event.ticket_id == veteran["id"], Event.kind == "priority"))
    assert event.data == {"category": "veteran"} and event.staff_id is not None


def test_priority_cleared_gives_the_place_back(client, now, auth):
    first = issue(client)
    now.now += timedelta(minutes=5)
    second = issue(client)
    url = f"/api/v1/tickets/{second['id']}/priority"
    client.post(url, json={"category": "disability"}, headers=auth)
    assert client.post(url, json={"category": None}, headers=auth).get_json()["ticket"]["position"] == 2
    w = window_for("pickup")
    assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).get_json()["ticket"]["id"] == first["id"]


def test_next_reads_a_long_queue_in_part_and_calls_as_the_whole_queue_would(client, now, auth):
    """"Next" reads only the first few plain tickets by arrival (and every booked or priority one): call
    after call it picks what the policy picks over the whole queue: a ticket that kept an earlier arrival
    (a transfer) though its number is later, a veteran's head start, a booking when it falls due."""
    from queue_app.policy import call_order
    from queue_app.tickets import PLAIN_READ, waiting_of
    _booking("11:30", "+380670000121")  # due from 11:20, the ninth call
    plain = []
    for _ in range(PLAIN_READ + 4):
        plain.append(issue(client)["id"])
        now.now += timedelta(minutes=1)
    db.session.get(Ticket, plain[-1]).arrived_at = TUESDAY - timedelta(minutes=30)  # as a transfer keeps it
    db.session.commit()
    veteran = issue(client)["id"]
    client.post(f"/api/v1/tickets/{veteran}/priority", json={"category": "veteran"}, headers=auth)
    booked = client.post("/api/v1/offices/main/tickets", json={"booking_code": "000121"}).get_json()["id"]
    w = window_for("pickup")
    services = frozenset(s.code for s in w.services)
    called = []
    while True:
        db.session.expire_all()
        order = call_order(now.now, waiting_of(w.office_id, now.now.date()), services)
        r = client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth)
        if r.status_code == 204:
            assert order == []
            break
        called.append(r.get_json()["ticket"]["id"])
        assert called[-1] == order[0].id
        now.now += timedelta(minutes=1)
    assert sorted(called) == sorted([*plain, veteran, booked])
    assert called[0] == plain[-1] and called.index(booked) < called.index(plain[-2])


def test_next_reads_again_when_other_windows_took_every_ticket_it_read(app, now, monkeypatch):
    """Windows racing for the same first tickets: when every ticket one read went to other windows and
    more plain ones were left unread, it reads again instead of answering that nobody waits."""
    from queue_app import tickets
    client = app.test_client()
    issued = []
    for _ in range(tickets.PLAIN_READ + 2):
        issued.append(issue(client)["id"])
        now.now += timedelta(minutes=1)
    here = window_for("pickup")
    others = [w for w in office().windows if w.id != here.id][:tickets.PLAIN_READ]
    claim, lost = tickets._claim, []

    def quicker_window(ticket_id, window, at):
        if len(lost) < tickets.PLAIN_READ:  # another window claims it first
            assert claim(ticket_id, others[len(lost)], at) is not None
            lost.append(ticket_id)
            return None
        return claim(ticket_id, window, at)

    monkeypatch.setattr(tickets, "_claim", quicker_window)
    called = tickets.call_next(here)
    assert lost == issued[:tickets.PLAIN_READ]
    assert called is not None and called.id == issued[tickets.PLAIN_READ]


@pytest.mark.skipif(ENGINE_URL is not None, reason="SQLite's query plans")
def test_next_a_check_in_and_a_new_code_read_no_whole_table(client, now, auth, full_scans):
    """The window's ticket in "Next" and the live booking holding a code are found through the partial
    indexes of the live rows: with the statuses bound as parameters the planner could not use them and
    read every ticket and booking kept (a year's worth in production) on each call."""
    _booking("11:10", "+380670000111")
    issue(client), issue(client)
    w = window_for("pickup")
    full_scans.clear()
    for _ in range(2):
        assert client.post(f"/api/v1/windows/{w.id}/call-next", headers=auth).status_code == 200
    assert client.post("/api/v1/offices/main/tickets", json={"booking_code": "000111"}).status_code == 201
    from queue_app.bookings import _new_code
    assert len(_new_code()) == 6  # a new booking's code, checked against the live ones
    assert full_scans == []
