"""Issue 7: who may enter /admin and what they may touch; CSRF on the admin forms."""
import re

import pytest
from sqlalchemy import func, select

from queue_app.extensions import db
from queue_app.models import AuditLog, Closure, Staff, Window
from tests.conftest import make_app
from tests.test_admin_helpers import PASSWORD, ensure_schema, login, make_staff, office, schema  # noqa: F401


def test_anonymous_is_sent_to_login(schema, client):
    r = client.get("/admin/offices/main")
    assert r.status_code == 302 and "/login?next=/admin/offices/main" in r.headers["Location"]


def test_operator_gets_403_everywhere(schema, client):
    login(client, make_staff("op", "operator", "main"))
    for url in ("/admin/", "/admin/offices/main", "/admin/dashboard/main", "/admin/dashboard/main/data.json",
                "/admin/reports", "/admin/staff"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/offices/main/pause", data={"reason": "x"}).status_code == 403
    assert office().paused_reason is None


def test_login_form_then_admin_pages(schema, client):
    make_staff("boss", "admin", None)
    r = client.post("/login?next=/admin/", data={"username": "boss", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/"
    assert "Офіси" in client.get("/admin/").get_data(as_text=True)


def test_manager_sees_and_changes_only_their_office(schema, client):
    login(client, make_staff("boss-main", "manager", "main"))
    other = office("pokrovskyi")
    page = client.get("/admin/").get_data(as_text=True)
    assert office().name in page and other.name not in page
    # Another office: every page and every change is refused, and nothing changes.
    for url in (f"/admin/offices/{other.code}", f"/admin/offices/{other.code}/services",
                f"/admin/offices/{other.code}/schedules", f"/admin/offices/{other.code}/plan",
                f"/admin/dashboard/{other.code}", f"/admin/dashboard/{other.code}/data.json",
                f"/admin/offices/{other.code}/timetable/2026-11-25", f"/admin/windows/{other.windows[0].id}",
                f"/admin/reports?from=2026-01-01&to=2026-11-30&office={other.code}",
                f"/admin/reports/export.csv?from=2026-01-01&to=2026-11-30&office={other.code}"):
        assert client.get(url).status_code == 403, url
    r = client.post(f"/admin/offices/{other.code}", data={"name": "Захоплено", "address": "вул. Інша, 1",
                                                          "min_notice_min": 60, "horizon_days": 30})
    assert r.status_code == 403 and office("pokrovskyi").name != "Захоплено"
    assert client.post(f"/admin/offices/{other.code}/pause", data={"reason": "x"}).status_code == 403
    assert client.post(f"/admin/windows/{other.windows[0].id}", data={"number": 77, "active": "y"}).status_code == 403
    assert client.post(f"/admin/offices/{other.code}/closures/new", data={
        "scope": "office", "date_from": "2026-12-01", "date_to": "2026-12-01", "reason": "x"}).status_code == 403
    assert db.session.scalar(select(func.count(Closure.id))) == 0
    # Centre-wide things are for admins only.
    for url in ("/admin/services", "/admin/services/pickup", "/admin/priorities", "/admin/settings"):
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/dashboard").headers["Location"].endswith("/admin/dashboard/main")
    # The city dashboard JSON holds only their office.
    assert [o["office"] for o in client.get("/admin/dashboard/data.json").get_json()["offices"]] == ["main"]


def test_manager_cannot_make_a_centre_closure_or_raise_accounts(schema, client):
    manager = make_staff("boss-main", "manager", "main")
    login(client, manager)
    r = client.post("/admin/offices/main/closures/new", data={
        "scope": "centre", "date_from": "2026-12-01", "date_to": "2026-12-01", "reason": "Свято"})
    assert r.status_code == 422 and db.session.scalar(select(func.count(Closure.id))) == 0
    r = client.post("/admin/staff/new", data={"username": "sneaky", "password": "long-enough-1", "role": "admin",
                                              "office_id": office().id, "active": "y"})
    assert r.status_code == 422 and db.session.scalar(select(Staff).where(Staff.username == "sneaky")) is None
    colleague = make_staff("other-manager", "manager", "main")
    stranger = make_staff("pok-op", "operator", "pokrovskyi")
    assert client.get(f"/admin/staff/{colleague.id}").status_code == 403
    assert client.get(f"/admin/staff/{stranger.id}").status_code == 403
    assert "pok-op" not in client.get("/admin/staff").get_data(as_text=True)
    r = client.post("/admin/staff/new", data={"username": "new-op", "password": "long-enough-1", "role": "operator",
                                              "office_id": office("pokrovskyi").id, "active": "y"})
    assert r.status_code == 403  # another office: refused outright
    r = client.post("/admin/staff/new", data={"username": "new-op", "password": "long-enough-1", "role": "operator",
                                              "office_id": office().id, "active": "y"})
    assert r.status_code == 302
    made = db.session.scalar(select(Staff).where(Staff.username == "new-op"))
    assert made.role == "operator" and made.office_id == office().id and made.check_password("long-enough-1")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "staff"))
    assert entry.username == "boss-main" and "long-enough-1" not in str(entry.changes)


def test_admin_audit_log_is_per_office_for_managers(schema, client):
    admin = make_staff("boss", "admin", None)
    login(client, admin)
    client.post("/admin/offices/pokrovskyi/pause", data={"reason": "Тривога"})
    client.post("/admin/offices/main/pause", data={"reason": "Тривога"})
    assert db.session.scalar(select(func.count(AuditLog.id))) == 2
    login(client, make_staff("boss-main", "manager", "main"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("Пауза офісу") == 1


@pytest.fixture
def csrf_client(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        ensure_schema()
        admin = make_staff("boss", "admin", None)
        client = login(app.test_client(), admin)
        yield client
        db.session.remove()
        db.engine.dispose()


def test_csrf_a_form_without_its_token_is_refused(csrf_client):
    client = csrf_client
    window = office().windows[0]
    r = client.post(f"/admin/windows/{window.id}", data={"number": 99, "active": "y",
                                                          "services": [s.id for s in window.services]})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Window, window.id).number != 99
    assert client.post("/admin/offices/main/pause", data={"reason": "Тривога"}).status_code == 400
    db.session.expire_all()
    assert office().paused_reason is None
    # The same form with the token from the page goes through.
    page = client.get(f"/admin/windows/{window.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post(f"/admin/windows/{window.id}", data={"csrf_token": token, "number": 99, "active": "y",
                                                          "services": [s.id for s in window.services]})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Window, window.id).number == 99
