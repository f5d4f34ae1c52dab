"""Issue 8, security. The access matrices are generated from app.url_map and from the Socket.IO handlers,
so a route or an event added later without a check fails here until it is checked or listed as public.
Also: CSRF on every form, cookies, rate limits behind a proxy, headers, and no stack trace for a client.
docs/threat-model.md refers to these tests by name."""
import itertools
import os
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask import g, jsonify, request
from flask_login import login_user
from itsdangerous import TimestampSigner
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter

from queue_app import clock, tickets
from queue_app.api.auth import issue_token
from queue_app.cases import create_case
from queue_app.config import Config
from queue_app.extensions import db, socketio
from queue_app.models import (
    Closure,
    Outbox,
    PlanJob,
    PriorityCategory,
    Schedule,
    Service,
    Staff,
    StaffPlan,
    Ticket,
)

from .conftest import LiveServer, make_app
from .test_admin_helpers import (
    PASSWORD,
    TUESDAY,
    Clock,
    ensure_schema,
    login,
    make_staff,
    office,
)

# Endpoints anyone may call, and why. Every other endpoint needs a signed-in member of staff.
PUBLIC = {
    "static": "styles, scripts, sounds",
    "views.index": "the start page",
    "views.healthz": "the health check of the contract",
    "auth.login": "the sign-in form",
    "booking.book": "citizens book: office, service, day, time",
    "booking.hold": "… hold the chosen slot (the hold's token goes into this browser's session)",
    "booking.details": "… name and phone, for a hold of this browser's session only",
    "booking.verify": "… the SMS code, for a hold of this browser's session only",
    "booking.manage": "the private manage link: its token is the key",
    "booking.ics": "… its calendar file",
    "booking.cancel": "… cancel",
    "booking.move": "… move",
    "booking.ready_link": "the signed link of the «documents ready» SMS",
    "booking.status": "«Перевір стан документу/справи»: a status by code, nothing personal",
    "kiosk.page": "the lobby kiosk",
    "kiosk.status": "… today's services",
    "kiosk.ticket_json": "… the ticket it has just issued",
    "kiosk.ticket_printable": "… printed by the browser",
    "kiosk.ticket_qr": "… its QR code",
    "kiosk.ticket_print": "… printed on the thermal printer (a fresh ticket of this office only)",
    "display.board": "the hall board",
    "display.window": "the display over a window",
    "ticket_page.ticket": "the citizen's live ticket (the QR on the paper ticket)",
    "api.openapi": "the contract's OpenAPI document",
    "api.token": "the contract's sign-in for API clients",
    "api.offices": "contract: offices",
    "api.office": "contract: an office",
    "api.schedule": "contract: working and reception hours",
    "api.windows": "contract: windows and their services",
    "api.services": "contract: services",
    "api.service": "contract: a service",
    "api.slots": "contract: free slots",
    "api.post_booking": "contract: book",
    "api.get_booking": "contract: a booking by code and its token",
    "api.delete_booking": "contract: cancel by code and its token",
    "api.verify_booking": "the SMS code of a booking, with its token",
    "api.issue": "contract: the kiosk issues a ticket",
    "api.get_ticket": "contract: a ticket's status",
    "api.board": "contract: the board's state",
    "api.get_case": "a case's status by code, nothing personal",
}
# The staff endpoints an operator may use; every other staff endpoint is for managers and admins.
OPERATOR = {"auth.logout", "operator.choose", "operator.take", "operator.workstation", "booking.cases",
            "booking.case_status", "api.office_queue", "api.post_case", "api.post_case_status", "api.call_next",
            "api.call_specific", "api.ticket_action", "api.transfer", "api.priority", "api.window_pause"}
# The centre's catalogue and settings: admins only.
ADMIN_ONLY = {"admin.services", "admin.service", "admin.priorities", "admin.priority", "admin.settings"}
# POST forms without a CSRF token, and why.
CSRF_EXEMPT = {"kiosk.ticket_print": "a kiosk page runs for days (a token would expire); reprinting a fresh "
                                     "ticket is harmless and rate-limited"}

# What a URL variable names. `code` is an office except on these endpoints.
CODE_IS = {"booking.case_status": "case", "api.post_case_status": "case", "admin.service": "service",
           "booking.details": "booking", "booking.verify": "booking", "booking.cancel": "booking",
           "booking.move": "booking"}
VARIABLE_IS = {"window_id": "window", "ticket_id": "ticket", "schedule_id": "schedule", "closure_id": "closure",
               "job_id": "job", "staff_id": "staff", "pc_id": "priority", "service_code": "service", "day": "day",
               "kind": "kind", "message_id": "message"}
OF_AN_OFFICE = {"office", "window", "ticket", "schedule", "closure", "job", "staff", "case", "message"}
OURS, THEIRS = "main", "pokrovskyi"


# ------------------------------------------------------------------------------------------- the world

@pytest.fixture
def world(app, monkeypatch):
    """One of everything a URL can name, in our office and in theirs; staff of every role in ours.
    Ids and codes only: the Socket.IO handlers end the session, which would detach loaded rows."""
    ensure_schema()
    monkeypatch.setattr(clock, "now", Clock(TUESDAY))
    pickup = db.session.scalar(select(Service).where(Service.code == "pickup"))
    priority = PriorityCategory(code="veterans", name="Ветерани війни", name_en="War veterans", active=True)
    db.session.add(priority)
    objects = {}
    for code in (OURS, THEIRS):
        o = office(code)
        closure = Closure(office_id=o.id, date_from=date(2026, 12, 1), date_to=date(2026, 12, 1), reason="ремонт")
        job = PlanJob(office_id=o.id, date_from=date(2026, 12, 1), date_to=date(2026, 12, 7))
        db.session.add_all([closure, job])
        db.session.flush()
        objects[code] = {
            "office": code, "window": o.windows[0].id, "closure": closure.id, "job": job.id,
            "schedule": db.session.scalar(select(Schedule.id).where(Schedule.office_id == o.id)),
            "staff": db.session.scalar(select(Staff.id).where(Staff.office_id == o.id, Staff.role == "operator")),
            "ticket": _issue(app, o, pickup),
            "case": (case := create_case(o, pickup, None)).code,
            "message": _undelivered(case),
            "service": "pickup", "day": "2026-11-25", "kind": "svg",
            "booking": "000000",  # only for the CSRF matrix, whose check comes before any lookup
            "priority": priority.id,
        }
    db.session.commit()
    people = {role: make_staff(f"sec-{role}", role, None if role == "admin" else OURS).id
              for role in ("operator", "manager", "admin")}
    return {**objects, "people": people}


def _undelivered(case) -> int:
    """An SMS of the office's case given up on: what the office's dashboard offers to send again."""
    message = Outbox(kind="documents_ready", phone="+380671234567", body="…", status="failed", case_id=case.id)
    db.session.add(message)
    db.session.flush()
    return message.id


def _issue(app, o, service) -> int:
    with app.test_request_context():  # the kiosk's receipt carries the ticket page's address
        tickets.issue_ticket(o, service)
    return db.session.scalar(select(Ticket.id).where(Ticket.office_id == o.id))


def signed_in(app, world, role: str):
    """A test client with `role`'s session cookie and, for the API, its bearer token."""
    staff = db.session.get(Staff, world["people"][role])
    client = login(app.test_client(), staff)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(staff)}"
    return client


def fingerprint() -> dict:
    """Every row of every table: a refused request must leave it as it was."""
    db.session.expire_all()
    return {t.name: sorted(map(repr, db.session.execute(t.select()).all())) for t in db.metadata.sorted_tables}


class running:
    """An app of its own settings on the test's database, its context pushed."""

    def __init__(self, database_url: str, **settings):
        self.app = make_app(database_url, **settings)

    def __enter__(self):
        self.ctx = self.app.app_context()
        self.ctx.push()
        ensure_schema()
        return self.app

    def __exit__(self, *exc):
        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()


# ------------------------------------------------------------------------------------------- the routes

def _kind(rule, name: str) -> str:
    if name == "code":
        return CODE_IS.get(rule.endpoint, "office")
    return VARIABLE_IS[name]  # a KeyError here: a new URL variable, say what it names


def route_requests(app, wanted):
    """(rule, method, {variable: kind}, {variable: value}) for every method of every route `wanted(rule)`,
    with each any(…) choice on its own."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not wanted(rule):
            continue
        choices = [[(name, c) for c in sorted(conv.items)] for name, conv in rule._converters.items()
                   if isinstance(conv, AnyConverter)]
        fixed = {name: _kind(rule, name) for name in rule._converters
                 if not isinstance(rule._converters[name], AnyConverter)}
        for combo in itertools.product(*choices):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, fixed, dict(combo)


def staff_requests(app, only=None):
    return route_requests(app, lambda rule: rule.endpoint not in PUBLIC and (only is None or rule.endpoint in only))


def call(client, rule, method: str, values: dict, **kwargs):
    path = rule.build(values, append_unknown=False)[1]
    if path.startswith("/api/") and method != "GET":
        kwargs.setdefault("json", {})
    return client.open(path, method=method, **kwargs)


def args_of(world, kinds: dict, extra: dict) -> dict:
    """Our office's objects for the variables, and the any(…) choices."""
    return {**{name: world[OURS][kind] for name, kind in kinds.items()}, **extra}


def test_the_lists_name_real_endpoints(app):
    endpoints = set(app.view_functions)
    for listed in (PUBLIC, OPERATOR, ADMIN_ONLY, CSRF_EXEMPT, CODE_IS):
        assert set(listed) <= endpoints, set(listed) - endpoints


def test_anonymous_callers_are_refused_everywhere_but_the_public_endpoints(app, world):
    """Pages send to the sign-in page (or 401/403); the API answers 401 in the contract's JSON, also to a
    browser that holds an admin's session cookie: the API takes bearer tokens only, so it needs no CSRF token."""
    anonymous = app.test_client()
    with_cookie = login(app.test_client(), db.session.get(Staff, world["people"]["admin"]))
    before, wrong = fingerprint(), []
    for rule, method, kinds, extra in staff_requests(app):
        values = args_of(world, kinds, extra)
        if rule.rule.startswith("/api/"):
            r = call(with_cookie, rule, method, values)
            ok = r.status_code == 401 and r.get_json()["error"]["code"] == "not_authenticated"
        else:
            r = call(anonymous, rule, method, values)
            ok = r.status_code in (401, 403) or (r.status_code == 302 and "/login" in r.headers["Location"])
        if not ok:
            wrong.append((method, rule.rule, r.status_code))
    assert not wrong
    assert fingerprint() == before


def test_operators_are_refused_where_a_manager_is_needed(app, world):
    operator = signed_in(app, world, "operator")
    before, wrong = fingerprint(), []
    for rule, method, kinds, extra in staff_requests(app):
        if rule.endpoint in OPERATOR:
            continue
        r = call(operator, rule, method, args_of(world, kinds, extra))
        if r.status_code != 403 or (rule.rule.startswith("/api/") and r.get_json()["error"]["code"] != "forbidden"):
            wrong.append((method, rule.rule, r.status_code))
    assert not wrong
    assert fingerprint() == before


def test_managers_are_refused_the_centre_wide_settings(app, world):
    manager = signed_in(app, world, "manager")
    calls = list(staff_requests(app, only=ADMIN_ONLY))
    assert {rule.endpoint for rule, *_ in calls} == ADMIN_ONLY
    wrong = [(method, rule.rule, r.status_code) for rule, method, kinds, extra in calls
             if (r := call(manager, rule, method, args_of(world, kinds, extra))).status_code != 403]
    assert not wrong


@pytest.mark.parametrize("role", ["operator", "manager"])
def test_staff_of_one_office_are_refused_another_offices_objects(app, world, role):
    """Each URL variable that names an office's object is pointed, one at a time, at the other office's:
    a check on the window but not on the ticket fails too. The same GET with our own objects is let through."""
    client = signed_in(app, world, role)
    allowed = OPERATOR if role == "operator" else None
    before, wrong, checked = fingerprint(), [], set()
    for rule, method, kinds, extra in staff_requests(app, only=allowed):
        if rule.endpoint in ADMIN_ONLY:
            continue
        ours = args_of(world, kinds, extra)
        for name, kind in kinds.items():
            if kind not in OF_AN_OFFICE:
                continue
            checked.add(rule.endpoint)
            r = call(client, rule, method, {**ours, name: world[THEIRS][kind]})
            if r.status_code != 403:
                wrong.append((method, rule.rule, name, r.status_code))
        if method == "GET" and any(kind in OF_AN_OFFICE for kind in kinds.values()):
            r = call(client, rule, method, ours)
            if r.status_code in (401, 403, 404) or r.status_code >= 500:
                wrong.append(("own office", rule.rule, r.status_code))
    assert not wrong
    assert fingerprint() == before
    assert {"api.call_specific", "api.transfer", "operator.take"} <= checked


def test_another_office_named_in_a_form_or_a_query_is_refused(app, world):
    """What url_map cannot show: the office or window in a body or a query string. (A QR poster of any
    office is allowed to any manager: it holds only the public booking link.)"""
    operator, manager = signed_in(app, world, "operator"), signed_in(app, world, "manager")
    theirs, ours = world[THEIRS], world[OURS]
    before = fingerprint()
    assert operator.post("/api/v1/cases", json={"office": THEIRS, "service": "pickup"}).status_code == 403
    r = operator.post(f"/api/v1/tickets/{ours['ticket']}/transfer", json={"window": theirs["window"]})
    assert r.status_code == 403
    assert operator.post("/cases", data={"office": THEIRS, "service": "pickup"}).status_code == 422
    export = "/admin/reports/export.xlsx?from=2026-01-01&to=2026-11-30&office="
    assert manager.get(export + THEIRS).status_code == 403 and manager.get(export + OURS).status_code == 200
    assert fingerprint() == before


# ------------------------------------------------------------------------------------------- CSRF

def test_every_form_post_without_its_token_is_refused(app, world):
    """Every POST outside the API (which takes no cookies, see above), as an admin, without a token:
    400 with the Ukrainian explanation, never a 500, and nothing changes."""
    app.config["WTF_CSRF_ENABLED"] = True
    admin = signed_in(app, world, "admin")
    forms = [(rule, kinds, extra) for rule, method, kinds, extra in route_requests(
        app, lambda rule: "POST" in rule.methods and rule.endpoint not in CSRF_EXEMPT
        and not rule.rule.startswith("/api/")) if method == "POST"]
    before, wrong = fingerprint(), []
    for rule, kinds, extra in forms:
        r = call(admin, rule, "POST", args_of(world, kinds, extra), data={"reason": "Тривога"})
        if r.status_code != 400 or "Сторінка застаріла" not in r.text:
            wrong.append((rule.rule, r.status_code))
    assert not wrong and len(forms) > 20
    assert fingerprint() == before


# ------------------------------------------------------------------------------------------- Socket.IO

# Every handler of a client's Socket.IO message, reviewed: the test below fails on one added or removed.
SOCKET_HANDLERS = {("/board", "connect"): "public: boards join their office's room and read",
                   ("/ticket", "connect"): "public: a phone follows one ticket and reads",
                   ("/office", "connect"): "staff of the office: the dashboard's and operator's nudges"}
STAFF_NAMESPACES = sorted({ns for (ns, _event), who in SOCKET_HANDLERS.items() if who.startswith("staff")})


def connect(app, namespace: str, query: str | None = None, client=None):
    g.pop("_login_user", None)  # the tests share one app context: forget the last request's user
    return socketio.test_client(app, namespace=namespace, query_string=query, flask_test_client=client)


def test_every_socketio_handler_is_reviewed(app):
    handlers = {(ns, event) for ns, events in socketio.server.handlers.items() for event in events}
    assert handlers == set(SOCKET_HANDLERS)


@pytest.mark.parametrize("namespace", STAFF_NAMESPACES)
def test_staff_namespaces_admit_only_staff_of_the_office(app, world, namespace):
    def admitted(role, office_code) -> bool:
        client = login(app.test_client(), db.session.get(Staff, world["people"][role])) if role else None
        socket = connect(app, namespace, f"office={office_code}", client)
        return socket.is_connected(namespace)

    assert not admitted(None, OURS)
    assert admitted("operator", OURS) and not admitted("operator", THEIRS)
    assert admitted("manager", OURS) and not admitted("manager", THEIRS)
    assert admitted("admin", THEIRS)


def test_no_client_message_changes_anything(app, world):
    """No handler but `connect` exists (see above); this proves it: whatever a board, a phone, a client of
    the default namespace or even an operator sends, no row changes and no other client hears it."""
    watcher = connect(app, "/board", f"office={OURS}")
    watcher.get_received("/board")
    operator = login(app.test_client(), db.session.get(Staff, world["people"]["operator"]))
    before = fingerprint()
    for namespace, query, client in (("/board", f"office={OURS}", None), ("/", None, None),
                                     ("/ticket", f"ticket={world[OURS]['ticket']}", None),
                                     ("/office", f"office={OURS}", operator)):
        socket = connect(app, namespace, query, client)
        assert socket.is_connected(namespace), namespace
        for event in ("called", "state", "call-next", "complete", "pause", "queue", "join", "connect", "disconnect"):
            socket.emit(event, {"office": OURS, "window": 1, "ticket_id": world[OURS]["ticket"]}, namespace=namespace)
        socket.send("hello", namespace=namespace)
    assert watcher.get_received("/board") == []
    assert fingerprint() == before


HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def test_socketio_refuses_pages_of_other_sites(app):
    """A page elsewhere must not open a socket with our visitor's cookies (cross-site WebSocket hijacking)."""
    assert app.test_client().get(HANDSHAKE, headers={"Origin": "https://evil.example"}).status_code == 400
    assert app.test_client().get(HANDSHAKE, headers={"Origin": "http://localhost"}).status_code == 200


def test_socketio_accepts_its_own_pages_behind_nginx(database_url):
    """The Origin check compares with the address the request names: nginx must pass Host and
    X-Forwarded-Proto to /socket.io as well (README), or the boards' sockets are refused."""
    with running(database_url, TRUSTED_PROXIES=1) as app:
        client = app.test_client()
        proxied = {"Host": "viza.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        assert client.get(HANDSHAKE, headers={**proxied, "Origin": "https://viza.example"}).status_code == 200
        assert client.get(HANDSHAKE, headers={**proxied, "Origin": "https://evil.example"}).status_code == 400
        assert client.get(HANDSHAKE, headers={"Host": "cnap", "Origin": "https://viza.example"}).status_code == 400


# ------------------------------------------------------------------------------- sign-in, rate limits, proxies

def test_a_deactivated_account_is_shut_out_at_once(app, world):
    """Its open session, its API token and its socket, without waiting for them to expire."""
    operator = signed_in(app, world, "operator")
    window = world[OURS]["window"]
    assert operator.get("/operator/").status_code == 200
    db.session.get(Staff, world["people"]["operator"]).active = False
    db.session.commit()
    r = operator.get("/operator/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert operator.post(f"/api/v1/windows/{window}/call-next").status_code == 401
    assert not connect(app, "/office", f"office={OURS}", operator).is_connected("/office")


def test_a_session_lasts_a_working_day(app, world, monkeypatch):
    operator = signed_in(app, world, "operator")
    assert operator.get("/operator/").status_code == 200
    fifteen_hours_on = TimestampSigner.get_timestamp(None) + 15 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: fifteen_hours_on)
    r = operator.get("/operator/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_password_change_revokes_api_tokens(app, world):
    operator = signed_in(app, world, "operator")
    queue = f"/api/v1/offices/{OURS}/queue"
    assert operator.get(queue).status_code == 200
    db.session.get(Staff, world["people"]["operator"]).set_password("a-new-password-2")
    db.session.commit()
    assert operator.get(queue).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
                                    "https://evil.example/"])
def test_sign_in_never_sends_off_the_site(app, world, target):
    """Browsers read "\\" as "/" and drop tabs: what goes out must be a plain path of this site."""
    r = app.test_client().post("/login", query_string={"next": target},
                               data={"username": "sec-operator", "password": PASSWORD})
    location = r.headers["Location"]
    assert r.status_code == 302 and location.startswith("/") and not location.startswith("//")
    assert not re.search(r"[\\\x00-\x20]", location) and not urlsplit(location).netloc


def test_sign_in_follows_a_path_of_the_site(app, world):
    r = app.test_client().post("/login?next=/admin/reports%3Ffrom%3D2026-01-01",
                               data={"username": "sec-manager", "password": PASSWORD})
    assert r.headers["Location"] == "/admin/reports?from=2026-01-01"


def test_sign_in_is_rate_limited(database_url):
    with running(database_url, RATELIMIT_ENABLED=True) as app:
        client = app.test_client()
        wrong = {"username": "admin", "password": "not-the-password"}
        pages = [client.post("/login", data=wrong) for _ in range(11)]
        assert [r.status_code for r in pages] == [401] * 10 + [429]
        assert "Забагато запитів" in pages[-1].text
        tokens = [client.post("/api/v1/auth/token", json=wrong) for _ in range(11)]
        assert [r.status_code for r in tokens] == [401] * 10 + [429]
        assert tokens[-1].get_json()["error"]["code"] == "too_many_requests"


def test_only_the_calls_boards_wait_on_pass_the_rate_limiter_by(database_url, monkeypatch):
    from flask_limiter import Limiter

    from queue_app.api.tickets import WITHOUT_LIMITS
    checked = []
    monkeypatch.setattr(Limiter, "_check_request_limit",
                        lambda self, *a, **k: checked.append(request.endpoint))
    with running(database_url, RATELIMIT_ENABLED=True) as app:
        assert WITHOUT_LIMITS <= set(app.view_functions)
        client = app.test_client()
        for path, spared in (("/api/v1/windows/1/call-next", True), ("/api/v1/windows/1/call/2", True),
                             ("/api/v1/tickets/2/recall", True), ("/api/v1/offices/main/tickets", False),
                             ("/api/v1/auth/token", False)):
            checked.clear()
            client.post(path, json={})
            assert (checked == []) is spared, (path, checked)


def _peer_route(app):
    @app.get("/_peer")
    def _peer():
        return jsonify(addr=request.remote_addr, secure=request.is_secure)


def test_behind_a_trusted_proxy_limits_key_on_the_real_client(database_url):
    """nginx appends the client to X-Forwarded-For: with TRUSTED_PROXIES=1 one guesser is limited, not the
    whole city behind the proxy, and a hop the client wrote itself is not believed."""
    with running(database_url, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1) as app:
        _peer_route(app)
        client = app.test_client()

        def sign_in(forwarded_for: str) -> int:
            return client.post("/login", data={"username": "admin", "password": "x"},
                               headers={"X-Forwarded-For": forwarded_for}).status_code

        assert [sign_in("203.0.113.7") for _ in range(11)][-1] == 429
        assert sign_in("198.51.100.9") == 401  # another citizen behind the same nginx
        assert sign_in("198.51.100.10, 203.0.113.7") == 429  # a forged first hop changes nothing
        r = client.get("/_peer", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert r.get_json() == {"addr": "203.0.113.7", "secure": True}


def test_without_trusted_proxies_forwarded_headers_are_ignored(database_url):
    with running(database_url, RATELIMIT_ENABLED=True) as app:
        _peer_route(app)
        client = app.test_client()
        statuses = [client.post("/login", data={"username": "admin", "password": "x"},
                                headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(11)]
        assert statuses[-1] == 429
        r = client.get("/_peer", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert r.get_json() == {"addr": "127.0.0.1", "secure": False}


# ------------------------------------------------------------------------------------------- cookies and headers

def _cookie(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_the_session_cookie_is_httponly_and_lax(app, world):
    r = app.test_client().post("/login", data={"username": "sec-operator", "password": PASSWORD})
    cookie = _cookie(r, "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is http:// here: a Secure cookie would never come back
    assert "Strict-Transport-Security" not in r.headers


def test_a_request_without_a_cookie_opens_a_session_without_unpacking_one(app, world, monkeypatch):
    from flask.sessions import SecureCookieSessionInterface
    built = []
    signer = SecureCookieSessionInterface.get_signing_serializer
    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer",
                        lambda self, a: built.append(1) or signer(self, a))
    client = app.test_client()
    r = client.get(f"/api/v1/offices/{OURS}/board")
    assert r.status_code == 200 and built == [] and "Set-Cookie" not in r.headers
    # The cookie a sign-in sets is signed, read back on the next request, and a forged one is refused.
    assert "session=" in _cookie(client.post("/login", data={"username": "sec-operator", "password": PASSWORD}),
                                 "session")
    assert built and client.get("/operator/").status_code == 200
    client.set_cookie("session", "forged")
    assert client.get("/operator/").status_code == 302


def test_cookies_are_secure_when_the_public_address_is_https(database_url, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    with running(database_url, PUBLIC_URL="https://viza.example") as app:
        staff_id = make_staff("sec-admin", "admin", None).id

        @app.post("/_remember")
        def _remember():
            login_user(db.session.get(Staff, staff_id), remember=True)
            return ""

        r = app.test_client().post("/_remember")
        for name in ("session", "remember_token"):
            cookie = _cookie(r, name)
            assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("explicit, public_url, secure", [
    (None, "http://127.0.0.1:8000", False), (None, "https://viza.example", True),
    ("0", "https://viza.example", False), ("1", "http://127.0.0.1:8000", True)])
def test_an_explicit_session_cookie_secure_wins(monkeypatch, explicit, public_url, secure):
    if explicit is None:
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", explicit)
    config = Config(PUBLIC_URL=public_url)
    assert config.SESSION_COOKIE_SECURE is secure and config.REMEMBER_COOKIE_SECURE is secure


def test_every_answer_carries_the_content_security_policy(app, world):
    admin = signed_in(app, world, "admin")
    for path in ("/", "/book", "/kiosk/main", "/display/main", f"/t/{world[OURS]['ticket']}", "/admin/",
                 "/api/v1/offices", "/no-such-page"):
        header = admin.get(path).headers["Content-Security-Policy"]
        policy = dict(d.strip().split(" ", 1) for d in header.split(";"))
        for directive in ("script-src", "style-src", "connect-src", "img-src", "media-src", "frame-src"):
            assert policy.get(directive, policy["default-src"]) == "'self'", (path, directive)
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'self'", path
        assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'", path


TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
REFUSED_BY_THE_POLICY = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE),
    "an on…= handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "a javascript: address": re.compile(r"javascript:", re.IGNORECASE),
}


def test_templates_hold_nothing_the_policy_would_refuse():
    """The browser would silently refuse these under the Content-Security-Policy: put code in static/."""
    found = [(str(path.relative_to(TEMPLATES)), what) for path in sorted(TEMPLATES.rglob("*.html"))
             for what, pattern in REFUSED_BY_THE_POLICY.items() if pattern.search(path.read_text())]
    assert len(list(TEMPLATES.rglob("*.html"))) > 20 and not found


CSP_PROBE = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
                          e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.mark.skipif(os.environ.get("SKIP_BROWSER") == "1", reason="SKIP_BROWSER=1")
def test_every_screen_runs_under_the_policy(browser, app, database_url):
    """Chromium against gunicorn: no screen trips the policy, sockets open, data-confirm still asks, the
    timetable's bars are placed from data-left/data-width. (The board and kiosk browser tests bypass the
    policy: Playwright's wait_for_function needs eval.)"""
    ensure_schema()
    boss = make_staff("sec-admin", "admin", None)
    main = office(OURS)
    window = main.windows[0].id
    db.session.add(StaffPlan(office_id=main.id, day=date(2026, 11, 25), plan={
        "assignments": [{"window_id": window, "operator_id": boss.id, "start": "09:00", "end": "13:00"}],
        "breaks": [], "status": "optimal"}))
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    server = LiveServer(database_url, QUEUE_FAKE_NOW="2026-11-24T11:00:00+02:00")
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    try:
        ticket = requests.post(f"{server.url}/api/v1/offices/main/tickets", json={"service": "pickup"}, timeout=10)
        sockets = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        context.add_init_script(CSP_PROBE)

        def visit(path: str, live: bool = False) -> None:
            opened = len(sockets)
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("window.__csp") == [], path
            assert not live or len(sockets) > opened, path  # Socket.IO's WebSocket is 'self' too

        for path in ("/", "/book?office=main&service=pickup", "/status", "/kiosk/main"):
            visit(path)
        # The policy is in force here: an injected inline script does not run, and the probe hears of it.
        page.evaluate("""() => document.body.appendChild(
            Object.assign(document.createElement("script"), {textContent: "window.injected = true"}))""")
        assert page.evaluate("window.injected") is None and page.evaluate("window.__csp")
        for path in ("/display/main", f"/display/window/{window}", f"/t/{ticket.json()['id']}"):
            visit(path, live=True)
        visit("/login")
        page.fill("input[name=username]", "sec-admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/operator/")
        for path in ("/admin/dashboard/main", f"/operator/window/{window}"):
            visit(path, live=True)
        for path in ("/admin/reports", "/admin/offices/main/timetable/2026-11-25", "/admin/offices/main/schedules"):
            visit(path)
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.locator("form[data-confirm] button").first.click()
        page.wait_for_load_state("networkidle")
        assert asked and asked[0].startswith("Видалити режим") and page.url.endswith("/schedules")
        page.goto(f"{server.url}/admin/offices/main/timetable/2026-11-25")
        assert page.locator(".tl-bar").first.evaluate("el => el.style.width") == "100%"
    finally:
        context.close()
        server.stop()


# ------------------------------------------------------------------------------------------- errors

def test_an_id_past_the_database_integer_is_not_found_anywhere(app, world):
    """Every route with an <int:…>, given 2**63 there, as an admin: no route matches (404), so no query
    overflows into a 500."""
    admin, wrong = signed_in(app, world, "admin"), []
    rules = [rule for rule in app.url_map.iter_rules()
             if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())]
    for rule in rules:
        values = {name: 2**63 if isinstance(conv, IntegerConverter) else
                  min(conv.items) if isinstance(conv, AnyConverter) else OURS
                  for name, conv in rule._converters.items()}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (r := call(admin, rule, method, values)).status_code != 404:
                wrong.append((method, rule.rule, r.status_code))
    assert len(rules) > 10 and not wrong


def test_no_stack_trace_reaches_a_client_in_production_config(database_url):
    with running(database_url, TESTING=False, DEBUG=False) as app:
        secret = "Failing row contains (Олена, +380671234567)"

        def boom():
            raise RuntimeError(secret)

        app.add_url_rule("/api/v1/_boom", "boom_api", boom)
        app.add_url_rule("/_boom", "boom_page", boom)
        assert not app.debug and not app.testing and not app.config["PROPAGATE_EXCEPTIONS"]
        client = app.test_client()
        api, page = client.get("/api/v1/_boom"), client.get("/_boom")
        assert api.status_code == 500 and api.get_json()["error"]["code"] == "internal"
        assert page.status_code == 500 and "Внутрішня помилка" in page.text and page.mimetype == "text/html"
        for answer in (api, page):
            assert "Traceback" not in answer.text and "RuntimeError" not in answer.text and secret not in answer.text
