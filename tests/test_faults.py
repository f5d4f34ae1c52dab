"""Issue 8, faults: a part of the system fails mid-day, the queue loses nothing and comes back by itself.

1. the server is killed (SIGKILL, master and worker) and started again on the same database;
2. Redis stops under a running server, then comes back;
3. the SMS gateway is down for an hour of the app's clock;
4. the database is locked (SQLite) or gone (PostgreSQL).
A real server (gunicorn -k gevent, as in production) where the fault is the process's own; the app
in-process where the clock has to move.
"""
import http.server
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import func, select

from queue_app import clock, notify
from queue_app.extensions import db
from queue_app.models import Booking, Office, Outbox, Staff, Ticket, TicketCounter
from scheduling import KYIV

from .conftest import ENGINE_URL, LiveServer, free_port, make_app
from .test_booking_support import MONDAY, Clock, api_book

ROOT = Path(__file__).resolve().parents[1]
OPENED = datetime(2026, 11, 24, 11, 0, tzinfo=KYIV)  # a Tuesday; the main office receives 09:00–20:00
PASSWORD = "secret-pass-1"
ON_POSTGRES = bool(ENGINE_URL and ENGINE_URL.startswith("postgresql"))


# ---------------------------------------------------------------- helpers

def wait_for(condition, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def group_alive(pgid: int) -> list[int]:
    """The processes of a process group that still run (a zombie has released everything it held)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


class Server(LiveServer):
    """LiveServer on a port of our choosing (a restart keeps the address clients reconnect to), in a
    process group of its own (SIGKILL then reaches the worker as well) and with its log kept: stderr is
    read as it comes, so it can be searched and never fills the pipe."""

    def __init__(self, database_url: str, port: int | None = None, **env: str):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "DATABASE_URL": database_url, **env}
        if "REDIS_URL" not in env:
            environ.pop("REDIS_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "2", "wsgi:app"],
            cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read_log, daemon=True).start()
        try:
            self._wait()
        except RuntimeError as err:
            self.stop()
            raise RuntimeError(f"{err}\n{self.log[-3000:]}") from None

    def _read_log(self):
        for line in iter(self.proc.stderr.readline, b""):
            self.lines.append(line.decode("utf-8", "replace"))

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def kill9(self) -> None:
        """Power cut for the server: SIGKILL to the master and its worker at once."""
        assert len(group_alive(self.proc.pid)) >= 2, "no worker to kill"
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)
        assert wait_for(lambda: not group_alive(self.proc.pid), 5), "a server process survived SIGKILL"

    def stop(self) -> None:
        super().stop()
        if group_alive(self.proc.pid):
            os.killpg(self.proc.pid, signal.SIGKILL)


class FakeGateway:
    """An SMS gateway on a local port: answers `status` (200 or e.g. 503), or refuses connections while
    `refuse()`d. `received` holds (message id, status answered, app time) of every request."""

    def __init__(self, app_clock=None):
        self.status, self.received, self.app_clock = 200, [], app_clock
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/send"
        self.serve()

    def serve(self) -> None:
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                moment = gateway.app_clock() if gateway.app_clock else None
                gateway.received.append((int(body["id"]), gateway.status, moment))
                self.send_response(gateway.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def refuse(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[int]:
        """Message ids the gateway accepted, in order, repeats included."""
        return [mid for mid, status, _ in self.received if status == 200]


@pytest.fixture
def moment(monkeypatch):
    """This process's clock, moved by the test (a server's starts at QUEUE_FAKE_NOW)."""
    c = Clock(OPENED)
    monkeypatch.setattr(clock, "now", c)
    return c


@pytest.fixture
def gateway():
    g = FakeGateway()
    yield g
    g.server.shutdown()
    g.server.server_close()


def add_staff(username: str, role: str = "operator", office_code: str = "main") -> None:
    office = db.session.scalar(select(Office).where(Office.code == office_code))
    person = Staff(username=username, role=role, office=office)
    person.set_password(PASSWORD)
    db.session.add(person)
    db.session.commit()


def bearer(url: str, username: str) -> dict:
    r = requests.post(url + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=5)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def signed_in_cookie(url: str, username: str) -> str:
    """The session cookie of a staff member signed in through the login page (CSRF on, as in production)."""
    http = requests.Session()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', http.get(url + "/login", timeout=5).text)
    r = http.post(url + "/login", data={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
                  allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class Screen:
    """A python-socketio client as a board or a workstation uses it: reconnection on, events recorded."""

    def __init__(self, url: str, namespace: str, events: tuple[str, ...], cookie: str | None = None):
        self.namespace, self.got, self.connects = namespace, [], 0
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("connect", self._connected, namespace=namespace)
        for name in events:
            self.sio.on(name, lambda data, name=name: self.got.append((name, data)), namespace=namespace)
        self.sio.connect(url + "?office=main", namespaces=[namespace], transports=["websocket"],
                         headers={"Cookie": cookie} if cookie else {}, wait_timeout=5)

    def _connected(self):
        self.connects += 1

    def events(self, name: str) -> list:
        return [data for event, data in self.got if event == name]

    def close(self):
        self.sio.disconnect()


def issue(url: str, service: str = "pickup") -> dict:
    r = requests.post(url + "/api/v1/offices/main/tickets", json={"service": service}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def pickup_window(url: str) -> dict:
    windows = requests.get(url + "/api/v1/offices/main/windows", timeout=5).json()
    return next(w for w in windows if "pickup" in w["services"])


# ---------------------------------------------------------------- 1. kill -9 mid-day

def test_a_server_killed_mid_day_loses_nothing_and_its_screens_come_back(app, database_url, gateway, moment):
    add_staff("op1")
    started = time.monotonic()
    server = Server(database_url, QUEUE_FAKE_NOW=OPENED.isoformat())
    board = workstation = None
    try:
        board = Screen(server.url, "/board", ("state", "called"))
        workstation = Screen(server.url, "/office", ("queue",), cookie=signed_in_cookie(server.url, "op1"))
        assert wait_for(lambda: board.events("state") and workstation.connects == 1)
        staff = bearer(server.url, "op1")
        window = pickup_window(server.url)

        # The morning: kiosks issue, citizens book (each booking queues an SMS), a window serves.
        tickets = [issue(server.url) for _ in range(3)]
        bookings = []
        for n, start in enumerate(("10:00", "11:00", "12:00")):
            r = requests.post(server.url + "/api/v1/bookings", timeout=5, json={
                "office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(), "start": start,
                "name": "Олена Петренко", "phone": f"+38067123456{n}"})
            assert r.status_code == 201, r.text
            bookings.append(r.json())
        call = requests.post(f"{server.url}/api/v1/windows/{window['id']}/call-next", headers=staff, timeout=5)
        assert call.status_code == 200 and call.json()["ticket"]["id"] == tickets[0]["id"]
        done = requests.post(f"{server.url}/api/v1/tickets/{tickets[0]['id']}/complete", headers=staff, timeout=5)
        assert done.status_code == 200
        called = requests.post(f"{server.url}/api/v1/windows/{window['id']}/call-next", headers=staff, timeout=5)
        assert called.status_code == 200 and called.json()["ticket"]["id"] == tickets[1]["id"]
        assert wait_for(lambda: len(board.events("called")) == 2)

        # The cron job delivered the first SMS; the two later ones are still in the outbox.
        moment.moment = OPENED + timedelta(minutes=5)
        app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=gateway.url)
        first_sms = min(o.id for o in db.session.scalars(select(Outbox)))
        assert notify.drain(limit=1)["sent"] == 1 and gateway.delivered() == [first_sms]

        # Kiosks keep issuing while the power goes: every ticket that got its 201 must survive.
        issued_late = []

        def kiosk():
            while len(issued_late) < 60:
                try:
                    r = requests.post(server.url + "/api/v1/offices/main/tickets", json={"service": "17-02"},
                                      timeout=5)
                except requests.RequestException:
                    return
                if r.status_code == 201:
                    issued_late.append(r.json())

        hammer = threading.Thread(target=kiosk)
        hammer.start()
        assert wait_for(lambda: len(issued_late) >= 10)
        server.kill9()
        hammer.join(10)
        states_before = len(board.events("state"))

        elapsed = timedelta(seconds=time.monotonic() - started)
        server = Server(database_url, port=server.port, QUEUE_FAKE_NOW=(OPENED + elapsed).isoformat())

        # The screens reconnect by themselves: the board gets a fresh state with the call it showed.
        assert wait_for(lambda: len(board.events("state")) > states_before, 15), "the board did not come back"
        state = board.events("state")[-1]
        assert state["calls"][0]["ticket_id"] == tickets[1]["id"] and state["calls"][0]["window"] == window["number"]
        assert wait_for(lambda: workstation.connects == 2, 15), "the workstation did not come back"

        # Everything answered 2xx is there, in the state it was left in.
        for t, status in [(tickets[0], "done"), (tickets[1], "called"), (tickets[2], "waiting")] + \
                         [(t, "waiting") for t in issued_late]:
            r = requests.get(f"{server.url}/api/v1/tickets/{t['id']}", timeout=5)
            assert r.status_code == 200 and r.json()["status"] == status and r.json()["number"] == t["number"]
        for b in bookings:
            r = requests.get(f"{server.url}/api/v1/bookings/{b['code']}?token={b['manage_token']}", timeout=5)
            assert r.status_code == 200 and r.json()["status"] == "booked"

        # Numbering goes on after the last number taken, with no number given twice.
        queue_nudges = len(workstation.events("queue"))
        after = issue(server.url, "17-02")
        assert wait_for(lambda: len(workstation.events("queue")) > queue_nudges)
        db.session.expire_all()
        seqs = db.session.scalars(select(Ticket.seq).where(Ticket.letter == after["number"][0])).all()
        assert len(seqs) == len(set(seqs)) and max(seqs) == int(after["number"].split("-")[1])
        assert max(seqs) == db.session.scalar(select(TicketCounter.last).where(
            TicketCounter.letter == after["number"][0]))

        # The SMS still pending go out once each, however often the job runs.
        notify.drain()
        notify.drain()
        rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
        assert len(rows) == 3 and all(o.status == "sent" for o in rows)
        assert gateway.delivered() == [o.id for o in rows]
    finally:
        for screen in (board, workstation):
            if screen is not None:
                screen.close()
        server.stop()


# ---------------------------------------------------------------- 2. Redis stopped

class RedisServer:
    """A private redis-server on a free port, its files in a temporary directory; stop() and start() again."""

    def __init__(self, binary: str, directory: Path):
        self.binary, self.directory, self.port = binary, directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self) -> None:
        import redis
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                      str(self.directory), "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        assert wait_for(lambda: self._ping(client), 5), "redis-server did not start"
        client.close()

    @staticmethod
    def _ping(client) -> bool:
        import redis
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def client(self):
        import redis
        return redis.Redis(port=self.port)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


@pytest.fixture
def private_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing: CI installs it (.ci/services)")
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(binary, tmp_path)
    yield server
    server.stop()


CHANNEL = "flask-socketio"  # Flask-SocketIO's default channel on the message queue


def test_a_server_keeps_serving_alone_while_redis_is_stopped(app, database_url, private_redis):
    add_staff("op1")
    server = Server(database_url, REDIS_URL=private_redis.url, QUEUE_FAKE_NOW=OPENED.isoformat())
    board = None
    try:
        board = Screen(server.url, "/board", ("state", "called"))
        staff = bearer(server.url, "op1")
        window = pickup_window(server.url)
        first = issue(server.url)
        redis = private_redis.client()
        assert redis.keys("LIMITS*"), "rate limits are not kept in Redis"

        private_redis.stop()
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        assert requests.get(server.url + "/display/main", timeout=5).status_code == 200
        late_board = Screen(server.url, "/board", ("state", "called"))  # a board may still connect
        waiting = [issue(server.url) for _ in range(3)]  # the rate limit falls back to memory
        for _ in range(3):
            r = requests.post(f"{server.url}/api/v1/windows/{window['id']}/call-next", headers=staff, timeout=5)
            assert r.status_code == 200, r.text
        # Boards on this process still hear every call.
        expected = [first["id"], waiting[0]["id"], waiting[1]["id"]]
        for screen in (board, late_board):
            assert wait_for(lambda s=screen: len(s.events("called")) == 3, 5), screen.got
            assert [c["ticket_id"] for c in screen.events("called")] == expected
        late_board.close()
        log = server.log
        assert log.count("is unreachable") == 1, log
        assert "Traceback" not in log and " ERROR " not in log, log

        # Redis is back: the server subscribes again, publishes again, counts limits there again.
        private_redis.start()
        redis = private_redis.client()
        assert wait_for(lambda: redis.pubsub_numsub(CHANNEL)[0][1] == 1, 15), "the server did not subscribe again"
        listener = redis.pubsub(ignore_subscribe_messages=True)
        listener.subscribe(CHANNEL)
        assert wait_for(lambda: redis.pubsub_numsub(CHANNEL)[0][1] == 2)
        issue(server.url)
        assert wait_for(lambda: listener.get_message(timeout=0.1), 5), "the server does not publish again"
        listener.close()
        slots = f"{server.url}/api/v1/offices/main/slots?service=pickup&date={MONDAY.isoformat()}"  # rate-limited
        assert wait_for(lambda: requests.get(slots, timeout=5).ok and redis.keys("LIMITS*"), 20, step=0.5)
        assert "reachable again" in server.log and "Traceback" not in server.log
    finally:
        if board is not None:
            board.close()
        server.stop()


# ---------------------------------------------------------------- 3. the SMS gateway down for an hour

def test_an_hour_without_the_sms_gateway_loses_no_message_and_sends_none_twice(app, client, moment):
    gateway = FakeGateway(app_clock=moment)
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=gateway.url)
    back = OPENED + timedelta(hours=1)
    bookings = {0: ("10:00", "11:00"), 20: ("12:00",), 45: ("13:00",)}  # minute of the outage: booked starts
    attempts: dict[int, list[int]] = {}  # message id: the minutes it was tried at
    gateway.refuse()  # the first half hour nothing answers; then the gateway answers 503; then it is back
    try:
        for minute in range(90):  # the job runs every minute
            moment.moment = OPENED + timedelta(minutes=minute)
            if minute == 30:
                gateway.status = 503
                gateway.serve()
            if moment.moment == back:
                gateway.status = 200
            for start in bookings.get(minute, ()):
                assert api_book(client, start=start, phone=f"+38067{minute:02d}{start[:2]}000").status_code == 201
            before = dict(db.session.execute(select(Outbox.id, Outbox.attempts)).all())
            notify.drain()
            for row_id, n in db.session.execute(select(Outbox.id, Outbox.attempts)).all():
                if n > before.get(row_id, 0):
                    attempts.setdefault(row_id, []).append(minute)
    finally:
        gateway.refuse()

    rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert len(rows) == 4 and all(o.status == "sent" for o in rows)
    assert sorted(gateway.delivered()) == [o.id for o in rows]  # each accepted exactly once
    assert all(moment_ >= back for _, status, moment_ in gateway.received if status == 200)
    # Retries back off (1, 2, 4, 8, 16 minutes) while the gateway is away ...
    first = attempts[rows[0].id]
    assert first[:6] == [0, 1, 3, 7, 15, 31]
    # ... and once it takes a message again, none waits out a long back-off (at most a lease's length).
    assert all(o.sent_at <= back + notify.LEASE for o in rows), [(o.id, o.sent_at) for o in rows]


def test_a_run_slowed_down_by_the_gateway_leaves_nothing_for_the_next_run_to_send_again(app, client, moment):
    """Each message takes the gateway two minutes (within its timeout), so one run of the job outlasts the
    lease it took at its start; the next run, started meanwhile, must not send again what is being sent."""
    for n in range(4):
        assert api_book(client, start=f"1{n}:00", phone=f"+38067000000{n}").status_code == 201
    sent, next_run = [], []

    class SlowGateway:
        def send(self, phone, text, kind, message_id=None):
            moment.moment += timedelta(minutes=2)
            if moment.moment == OPENED + timedelta(minutes=6):  # cron starts the job again
                next_run.append(notify.drain())
            sent.append(message_id)

    app.config["SMS_GATEWAY"] = SlowGateway()
    notify.drain()
    rows = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert next_run and sorted(sent) == [o.id for o in rows] and all(o.status == "sent" for o in rows)


# ---------------------------------------------------------------- 4. the database locked or gone

UNAVAILABLE = {"error": {"code": "database_unavailable",
                         "message": "Сервіс тимчасово недоступний. Спробуйте за хвилину."}}
HOLD = {"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(), "start": "10:00"}


def rows_written() -> dict:
    """Row counts of the tables that issuing, booking and the SMS outbox write to."""
    from queue_app.models import Event
    db.session.rollback()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Ticket, TicketCounter, Booking, Outbox, Event)}


def assert_unavailable(client, caplog) -> None:
    """The API answers the contract's 503, a page the Ukrainian one; the log has a line, never a stack."""
    caplog.clear()
    r = client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert r.status_code == 503 and r.get_json() == UNAVAILABLE
    r = api_book(client)
    assert r.status_code == 503 and r.get_json() == UNAVAILABLE
    r = client.post("/book/hold", data=HOLD)  # a page that writes (a held place)
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert '<html lang="uk">' in r.text and "Сервіс тимчасово недоступний" in r.text
    r = client.post("/book/hold?lang=en", data=HOLD)
    assert r.status_code == 503 and "The service is temporarily unavailable" in r.text
    assert not [rec for rec in caplog.records if rec.exc_info or "Traceback" in rec.getMessage()
                or "unhandled" in rec.getMessage()], [rec.getMessage() for rec in caplog.records]


def fresh_locale_per_request(app):
    """As conftest's fresh_request_state does for `app`: one app context spans the test, the language must not."""
    from flask import g

    @app.before_request
    def _forget():
        g.pop("_flask_babel", None)
    return app


@pytest.fixture
def impatient_app(database_url, moment):
    """The app with a short SQLite busy timeout, so a lock held longer shows without a 10-second wait."""
    app = fresh_locale_per_request(make_app(database_url, SQLITE_BUSY_TIMEOUT=0.2))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_a_locked_sqlite_database_answers_503_and_writes_nothing_half(impatient_app, database_url, caplog):
    client = impatient_app.test_client()
    before = rows_written()
    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock, longer than the busy timeout
    try:
        assert client.get("/api/v1/offices/main/board").status_code == 200  # readers go on (WAL) ...
        assert board_connects(impatient_app)
        assert_unavailable(client, caplog)  # ... writers give up after the busy timeout
    finally:
        blocker.rollback()
        blocker.close()
    assert rows_written() == before
    assert issue_in_process(client)["number"] == "Р-001"  # the failed attempts took no number


def board_connects(app) -> bool:
    """A board connects to /board (Socket.IO's test client, in-process) and gets its state."""
    from queue_app.extensions import socketio as server_socketio
    board = server_socketio.test_client(app, namespace="/board", query_string="office=main")
    if not board.is_connected("/board"):
        return False
    got = board.get_received("/board")
    board.disconnect("/board")
    return [m["name"] for m in got] == ["state"]


def issue_in_process(client) -> dict:
    r = client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


class Relay:
    """A TCP relay in front of PostgreSQL that can be cut: for the app the database is gone (open
    connections reset, new ones refused), then back on the same address."""

    def __init__(self, target_port: int):
        self.port, self.target, self.sockets = free_port(), ("127.0.0.1", target_port), []
        self.open()

    def open(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:
                return
            far = socket.create_connection(self.target)
            self.sockets += [near, far]
            for src, dst in ((near, far), (far, near)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets.clear()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL going away")
def test_postgresql_gone_answers_503_and_service_resumes_when_it_is_back(database_url, moment, caplog):
    from sqlalchemy.engine import make_url
    url = make_url(database_url)
    relay = Relay(url.port or 5432)
    app = fresh_locale_per_request(make_app(url.set(port=relay.port).render_as_string(hide_password=False)))
    with app.app_context():
        client = app.test_client()
        assert issue_in_process(client)["number"] == "Р-001"  # the pool now holds a live connection
        before = rows_written()
        relay.cut()
        try:
            assert_unavailable(client, caplog)
            assert client.get("/healthz").status_code == 503
            r = client.get("/kiosk/main")
            assert r.status_code == 503 and "Сервіс тимчасово недоступний" in r.text
            # A board connecting now is refused (it retries by itself), not left half connected.
            caplog.clear()
            assert not board_connects(app)
            logged = [r.getMessage() for r in caplog.records]
            assert logged == ["database unavailable on Socket.IO /board: OperationalError"]
        finally:
            relay.open()
        assert board_connects(app)
        assert rows_written() == before  # nothing half written
        assert issue_in_process(client)["number"] == "Р-002"  # and service resumes
        db.session.remove()
        db.engine.dispose()
    relay.cut()


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL ending its backends")
def test_postgresql_connections_ended_by_the_server_are_replaced_unnoticed(app, client, database_url, moment):
    assert issue_in_process(client)["number"] == "Р-001"
    import sqlalchemy as sa
    admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        ended = conn.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert ended >= 1
    assert issue_in_process(client)["number"] == "Р-002"  # pool_pre_ping replaced the dead connection


@pytest.mark.parametrize("command", [["jobs", "run"], ["outbox", "send"], ["retention", "run"], ["seed"]])
def test_a_job_run_while_the_database_is_unreachable_says_so_in_one_line(tmp_path, command):
    """cron mails what a job prints: a database it cannot open is one line and exit status 1, never a trace."""
    app = make_app(f"sqlite:///{tmp_path}/missing/dir/queue.sqlite3")
    with app.app_context():  # as `flask` gives every command, the plain click commands too
        result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "Error: database unavailable: unable to open database file"
