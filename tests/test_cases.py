"""Cases: staff change the status (API and page), «ready» texts the citizen, the public status page reveals nothing personal."""
import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Booking, Case

from .conftest import make_app
from .test_booking_support import NOW, Clock, login, office, outbox, service, staff, token


@pytest.fixture
def now(monkeypatch):
    c = Clock(NOW)
    monkeypatch.setattr(clock, "now", c)
    return c


@pytest.fixture
def auth(client):
    staff("clerk", role="operator", office_code="pokrovskyi")
    return {"Authorization": f"Bearer {token(client, 'clerk')}"}


def new_case(client, auth, **body):
    r = client.post("/api/v1/cases", json={"office": "pokrovskyi", "service": "pickup", "phone": "+380671234567"}
                    | body, headers=auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["code"]


def test_status_changes_through_the_api(client, auth, now):
    code = new_case(client, auth)
    for status in ("in_progress", "ready", "issued"):
        r = client.post(f"/api/v1/cases/{code}/status", json={"status": status}, headers=auth)
        assert r.status_code == 200 and r.get_json()["status"] == status
    assert [o.kind for o in outbox()] == ["documents_ready"]  # only «ready» texts
    r = client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"}, headers=auth)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "case_closed"


def test_setting_ready_twice_texts_once(client, auth, now):
    code = new_case(client, auth)
    for _ in range(2):
        assert client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"}, headers=auth).status_code == 200
    assert len(outbox("documents_ready")) == 1


@pytest.mark.parametrize("path, body, status, error", [
    ("/api/v1/cases/123/status", {"status": "ready"}, 422, "invalid_code"),
    ("/api/v1/cases/999999/status", {"status": "ready"}, 404, "unknown_case"),
    ("/api/v1/cases/{code}/status", {"status": "lost"}, 422, "invalid_status"),
    ("/api/v1/cases/{code}/status", {}, 422, "missing_field"),
    ("/api/v1/cases/{code}/status", {"status": ["ready"]}, 422, "missing_field"),
    ("/api/v1/cases/{code}/status", None, 400, "malformed"),
    ("/api/v1/cases", {"office": "nowhere", "service": "pickup"}, 404, "unknown_office"),
    ("/api/v1/cases", {"office": "pokrovskyi", "service": "nothing"}, 422, "unknown_service"),
    ("/api/v1/cases", {"office": "pokrovskyi", "service": "pickup", "phone": "123"}, 422, "invalid_phone"),
    ("/api/v1/cases", {"office": "pokrovskyi", "service": "pickup", "code": "12a456"}, 422, "invalid_code"),
    ("/api/v1/cases", {"office": "main", "service": "pickup"}, 403, "forbidden"),  # another office
])
def test_case_api_bad_input(client, auth, path, body, status, error):
    code = new_case(client, auth)
    url = path.format(code=code)
    r = client.post(url, json=body, headers=auth) if body is not None else \
        client.post(url, data="not json", headers=auth | {"Content-Type": "application/json"})
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"]["code"] == error and r.get_json()["error"]["message"]


def test_case_api_needs_a_staff_token(client, auth):
    code = new_case(client, auth)
    r = client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "not_authenticated"
    r = client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"},
                    headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401
    staff("other", role="operator", office_code="main")
    other = {"Authorization": f"Bearer {token(client, 'other')}"}
    r = client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"}, headers=other)
    assert r.status_code == 403


def test_duplicate_case_code_is_a_conflict(client, auth):
    new_case(client, auth, code="123456")
    r = client.post("/api/v1/cases", json={"office": "pokrovskyi", "service": "pickup", "code": "123456"},
                    headers=auth)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "case_exists"


def test_the_status_page_shows_status_and_place_but_no_personal_data(client, auth, now):
    code = new_case(client, auth)
    # A pick-up booking with a name tied to the case must not leak through the case page either.
    case = db.session.scalar(select(Case).where(Case.code == code))
    db.session.add(Booking(code="654321", office_id=case.office_id, service_id=case.service_id, day=NOW.date(),
                           start=NOW.time(), end=NOW.time().replace(minute=10), name="Олена Петренко",
                           phone="+380671234567", manage_token_hash="x", status="cancelled", case_id=case.id))
    db.session.commit()
    page = client.get(f"/status?code={code}")
    assert page.status_code == 200 and "На опрацюванні" not in page.text and "Прийнято до розгляду" in page.text
    client.post(f"/api/v1/cases/{code}/status", json={"status": "ready"}, headers=auth)
    for page in (client.get(f"/status?code={code}"), client.get(f"/status?code=%E2%84%96{code}"),
                 client.get(f"/api/v1/cases/{code}")):
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Олена" not in text and "Петренко" not in text
        for shown in ("+380671234567", "380671234567", "0671234567", "671234567", "***4567"):
            assert shown not in text
    page = client.get(f"/status?code={code}")
    assert "Документи готові" in page.text and "вул. Шурупова, 2" in page.text and "каб." in page.text
    assert "/book?office=pokrovskyi&amp;service=pickup" in page.text
    body = client.get(f"/api/v1/cases/{code}").get_json()
    assert set(body) == {"code", "status", "status_text", "service", "office", "updated_at", "pickup"}
    assert "phone" not in body["pickup"]


@pytest.mark.parametrize("code, status, message", [
    ("12345", 422, "шість цифр"),
    ("abcdef", 422, "шість цифр"),
    ("1234567", 422, "шість цифр"),
    ("", 422, "шість цифр"),
    ("<script>", 422, "шість цифр"),
    ("999999", 404, "не знайдено"),
])
def test_the_status_page_explains_bad_codes(client, code, status, message):
    r = client.get("/status", query_string={"code": code})
    assert r.status_code == status and message in r.text and "<script>" not in r.text
    r = client.get(f"/api/v1/cases/{code or 'x'}")
    assert r.status_code in (404, 422) and r.get_json()["error"]["code"] in ("invalid_code", "unknown_case")


def test_the_status_page_is_rate_limited(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        assert client.get("/status").status_code == 200  # the empty form is not counted
        codes = [client.get(f"/status?code=00000{i}").status_code for i in range(10)]
        assert set(codes) == {404}
        r = client.get("/status?code=000011")
        assert r.status_code == 429 and "Забагато запитів" in r.text
        db.session.remove()
        db.engine.dispose()


def test_the_staff_page(client, now):
    assert client.get("/cases").status_code == 302  # sign-in first
    staff("clerk", role="operator", office_code="pokrovskyi")
    login(client, "clerk")
    page = client.get("/cases")
    assert page.status_code == 200 and "Створити справу" in page.text
    r = client.post("/cases", data={"office": "pokrovskyi", "service": "pickup", "phone": "067 123 45 67"})
    assert r.status_code == 200 and "Справу створено" in r.text
    case = db.session.scalar(select(Case))
    assert case.phone == "+380671234567" and "+38067***4567" in r.text and "+380671234567" not in r.text
    bad = client.post("/cases", data={"office": "pokrovskyi", "service": "pickup", "phone": "12"})
    assert bad.status_code == 422 and "Телефон має бути" in bad.text
    bad = client.post("/cases", data={"office": "main", "service": "pickup"})  # not this clerk's office
    assert bad.status_code == 422 and "Оберіть офіс" in bad.text
    bad = client.post("/cases", data={"office": "pokrovskyi", "service": "zzz"})
    assert bad.status_code == 422 and "Оберіть послугу" in bad.text
    r = client.post(f"/cases/{case.code}/status", data={"status": "ready"})
    assert r.status_code == 302
    assert [o.kind for o in outbox()] == ["documents_ready"]
    bad = client.post(f"/cases/{case.code}/status", data={"status": "lost"})
    assert bad.status_code == 422 and "Невідомий стан" in bad.text
    assert client.post("/cases/12/status", data={"status": "ready"}).status_code == 422
    other = Case(code="111111", office=office("main"), service=service("pickup"))
    db.session.add(other)
    db.session.commit()
    assert client.post("/cases/111111/status", data={"status": "ready"}).status_code == 403


def test_the_openapi_spec_lists_the_booking_and_case_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/offices/{code}/slots", "/api/v1/bookings", "/api/v1/bookings/{code}",
                 "/api/v1/bookings/{code}/verify", "/api/v1/cases", "/api/v1/cases/{code}",
                 "/api/v1/cases/{code}/status"):
        assert path in paths
    assert set(paths["/api/v1/bookings/{code}"]) >= {"get", "delete"}
