"""Issue 4, real time: the /board namespace of the contract, in process and across two server processes."""
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import select

from queue_app.extensions import db, socketio as server_socketio
from queue_app.jobs import cancel_at_closing
from queue_app.models import Office, Staff, Ticket

from .conftest import LiveServer
from .test_queue import TUESDAY, auth, issue, now, staff, window_for  # noqa: F401  (fixtures and helpers)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def board(app):
    return server_socketio.test_client(app, namespace="/board", query_string="office=main")


def test_board_gets_state_then_called(client, board, now):
    first = board.get_received("/board")
    assert [m["name"] for m in first] == ["state"]
    assert first[0]["args"][0] == {"office": "main", "calls": []}
    staff = Staff(username="op", role="operator", office=db.session.scalar(select(Office).where(Office.code == "main")))
    staff.set_password("secret-pass")
    db.session.add(staff)
    db.session.commit()
    from queue_app.api.auth import issue_token
    headers = {"Authorization": f"Bearer {issue_token(staff)}"}
    t = issue(client)
    w = window_for("pickup")
    client.post(f"/api/v1/windows/{w.id}/call-next", headers=headers)
    client.post(f"/api/v1/tickets/{t['id']}/recall", headers=headers)
    events = [m for m in board.get_received("/board") if m["name"] == "called"]
    assert [e["args"][0]["number"] for e in events] == [t["number"], t["number"]]
    call, again = events[0]["args"][0], events[1]["args"][0]
    assert set(call) == {"number", "window", "service", "called_at", "ticket_id"}
    assert call["window"] == w.number and call["ticket_id"] == t["id"] and "+02:00" in call["called_at"]
    assert again["recall"] is True
    client.post(f"/api/v1/tickets/{t['id']}/complete", headers=headers)
    released = [m["args"][0] for m in board.get_received("/board") if m["name"] == "released"]
    assert released == [{"office": "main", "window": w.number, "ticket_id": t["id"]}]
    # A board connecting later gets the same calls in its state.
    late = server_socketio.test_client(client.application, namespace="/board", query_string="office=main")
    state = late.get_received("/board")[0]["args"][0]
    assert state == client.get("/api/v1/offices/main/board").get_json()
    assert state["calls"][0]["number"] == t["number"]


def test_every_change_of_a_ticket_reaches_its_phone_with_a_higher_revision(client, now, auth):
    """A snapshot read before a change can reach the phone after the change's message (the connect's
    state, a poll): the page keeps the higher revision. Each path that changes a ticket (the call's Core
    UPDATEs, the unit of work, the end of the day) must raise it, and the phone's message must carry the
    revision the database holds."""
    t = issue(client)
    phone = server_socketio.test_client(client.application, namespace="/ticket", query_string=f"ticket={t['id']}")
    pickup, other = window_for("pickup"), window_for("17-02")
    steps = [lambda: client.post(f"/api/v1/windows/{pickup.id}/call-next", headers=auth),
             lambda: client.post(f"/api/v1/tickets/{t['id']}/recall", headers=auth),
             lambda: client.post(f"/api/v1/tickets/{t['id']}/start", headers=auth),
             lambda: client.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service": "17-02"}, headers=auth),
             lambda: client.post(f"/api/v1/windows/{other.id}/call-next", headers=auth),
             lambda: client.post(f"/api/v1/windows/{other.id}/call-next", headers=auth)]  # "Next" closes it
    revisions = [phone.get_received("/ticket")[-1]["args"][0]["rev"]]
    for step in steps:
        assert step().status_code in (200, 204)
        seen = [m["args"][0] for m in phone.get_received("/ticket") if m["name"] == "ticket"]
        db.session.expire_all()
        assert seen[-1]["rev"] == db.session.get(Ticket, t["id"]).rev == client.get(f"/api/v1/tickets/{t['id']}").get_json()["rev"]
        revisions.append(seen[-1]["rev"])
    assert [m["status"] for m in seen] == ["done"] and revisions == sorted(set(revisions))
    left = issue(client)
    now.now = TUESDAY.replace(hour=21)
    assert cancel_at_closing() == 1
    assert client.get(f"/api/v1/tickets/{left['id']}").get_json()["rev"] > left["rev"]


def test_unknown_office_is_refused(app):
    c = server_socketio.test_client(app, namespace="/board", query_string="office=nowhere")
    assert not c.is_connected("/board")


def test_office_namespace_is_for_signed_in_staff(app):
    c = server_socketio.test_client(app, namespace="/office", query_string="office=main")
    assert not c.is_connected("/office")


def _flask(database_url, *args):
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, check=True,
                   env={**__import__("os").environ, "DATABASE_URL": database_url}, capture_output=True)


def test_call_through_process_a_reaches_board_on_process_b(database_url, redis_url):
    """Two server processes share Redis as the Socket.IO message queue."""
    _flask(database_url, "user", "create", "op1", "--password", "secret-pass", "--role", "operator",
           "--office", "main")
    fake_now = {"QUEUE_FAKE_NOW": "2026-11-24T11:00:00+02:00"}
    a = LiveServer(database_url, REDIS_URL=redis_url, **fake_now)
    b = LiveServer(database_url, REDIS_URL=redis_url, **fake_now)
    try:
        got, ready = [], threading.Event()
        sio = socketio.Client()
        sio.on("state", lambda data: ready.set(), namespace="/board")
        sio.on("called", lambda data: got.append(data), namespace="/board")
        sio.connect(b.url + "?office=main", namespaces=["/board"], transports=["websocket"])
        assert ready.wait(5)
        http = requests.Session()
        token = http.post(a.url + "/api/v1/auth/token", json={"username": "op1", "password": "secret-pass"}).json()["token"]
        ticket = http.post(a.url + "/api/v1/offices/main/tickets", json={"service": "pickup"}).json()
        windows = http.get(a.url + "/api/v1/offices/main/windows").json()
        window = next(w for w in windows if "pickup" in w["services"])
        r = http.post(f"{a.url}/api/v1/windows/{window['id']}/call-next", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        for _ in range(50):
            if got:
                break
            threading.Event().wait(0.1)
        assert got and got[0]["number"] == ticket["number"] and got[0]["window"] == window["number"]
        sio.disconnect()
    finally:
        a.stop()
        b.stop()
