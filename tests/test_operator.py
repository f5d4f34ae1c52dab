"""The operator's workstation: sign-in, choosing a window, the page's token and its limits."""
import json
import time

import pytest
from sqlalchemy import select

from queue_app.api.auth import staff_from_token
from queue_app.extensions import db
from queue_app.models import Office, Staff, Window

from .conftest import make_app


def make_staff(username, role="operator", office_code="main"):
    staff = Staff(username=username, role=role,
                  office=db.session.scalar(select(Office).where(Office.code == office_code)) if office_code else None)
    staff.set_password("secret-pass")
    db.session.add(staff)
    db.session.commit()
    return staff


def login(client, username, password="secret-pass"):
    return client.post("/login", data={"username": username, "password": password})


def test_operator_pages_need_a_sign_in(client):
    r = client.get("/operator/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_wrong_password_is_refused_with_a_message(client):
    make_staff("olha")
    r = login(client, "olha", "wrong-pass")
    assert r.status_code == 401 and "Неправильне" in r.get_data(as_text=True)


def test_operator_takes_a_window_and_gets_a_workstation(client):
    staff = make_staff("olha")
    assert login(client, "olha").status_code == 302
    page = client.get("/operator/").get_data(as_text=True)
    main_windows = db.session.scalar(select(Office).where(Office.code == "main")).windows
    assert "Вікно 12" in page and "Покровський" not in page  # only their own office
    r = client.post(f"/operator/window/{main_windows[2].id}/take")
    assert r.status_code == 302
    assert db.session.get(Window, main_windows[2].id).staff_id == staff.id
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    token = html.split('data-token="')[1].split('"')[0]
    assert staff_from_token(token).id == staff.id
    # The priority categories the administrator may mark, active ones only, in the page's language.
    strings = json.loads(html.split('id="ws-i18n">')[1].split("</script>")[0])
    assert {"code": "veteran", "name": "Учасники бойових дій і ветерани війни"} in strings["priorities"]
    # Taking another window leaves the first one.
    client.post(f"/operator/window/{main_windows[3].id}/take")
    db.session.expire_all()
    assert db.session.get(Window, main_windows[2].id).staff_id is None


def test_operator_cannot_take_a_window_of_another_office(client):
    make_staff("olha")
    login(client, "olha")
    other = db.session.scalar(select(Office).where(Office.code == "pokrovskyi")).windows[0]
    assert client.post(f"/operator/window/{other.id}/take").status_code == 403
    assert client.get(f"/operator/window/{other.id}").status_code == 403


def test_login_redirect_is_never_off_site(client):
    make_staff("olha")
    r = client.post("/login?next=//evil.example/x", data={"username": "olha", "password": "secret-pass"})
    assert r.headers["Location"].startswith("/operator")


def test_forms_need_the_csrf_token(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_staff("olha")
        r = app.test_client().post("/login", data={"username": "olha", "password": "secret-pass"})
        assert r.status_code == 400 and "Оновіть сторінку" in r.get_data(as_text=True)
        db.session.remove()


@pytest.mark.parametrize("role", ["operator", "manager"])
def test_queue_api_is_limited_to_the_own_office(client, role):
    from queue_app.api.auth import issue_token
    staff = make_staff("olha", role=role)
    headers = {"Authorization": f"Bearer {issue_token(staff)}"}
    assert client.get("/api/v1/offices/main/queue", headers=headers).status_code == 200
    assert client.get("/api/v1/offices/pokrovskyi/queue", headers=headers).status_code == 403


def test_a_token_checked_once_still_expires_and_is_revoked(app, client):
    """The signature check is remembered per token; its age, the account's state and its password are
    read again on every request."""
    from queue_app.api.auth import issue_token
    staff = make_staff("olha")
    headers = {"Authorization": f"Bearer {issue_token(staff)}"}
    assert client.get("/api/v1/offices/main/queue", headers=headers).status_code == 200
    app.config["API_TOKEN_MAX_AGE"], max_age = 0, app.config["API_TOKEN_MAX_AGE"]
    time.sleep(0.01)
    assert client.get("/api/v1/offices/main/queue", headers=headers).status_code == 401
    app.config["API_TOKEN_MAX_AGE"] = max_age
    assert client.get("/api/v1/offices/main/queue", headers=headers).status_code == 200
    staff.set_password("another-pass-2")
    db.session.commit()
    assert client.get("/api/v1/offices/main/queue", headers=headers).status_code == 401
    forged = headers["Authorization"][:-2] + ("AA" if not headers["Authorization"].endswith("AA") else "BB")
    assert client.get("/api/v1/offices/main/queue", headers={"Authorization": forged}).status_code == 401
