"""Issue 8: hostile input on the pages and the API.

Over-long, malformed and hostile values (a script tag, an SQL-looking string, a NUL, invalid UTF-8 in a
percent-encoding, numbers past what an id column holds, dates at the ends of the calendar, bodies that are
not JSON or too big) are refused with a clear message (Ukrainian on pages, the contract's JSON error on
/api), never a 500; a refused request writes nothing; what is echoed back is HTML-escaped.
"""
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Booking, Case, Closure, Office

from .test_booking_support import MONDAY, NOW, Clock, api_book, login, one_window_one_place, staff, token

SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert("
BAD_UTF8 = object()  # stands for the raw percent-encoding %ff%fe, which no UTF-8 text encodes to
HOSTILE = {"script": SCRIPT, "sql": "' OR 1=1 --", "long": "Я" * 3000, "bad-utf8": BAD_UTF8}
HUGE_ID = "99999999999999999999"
NUL_REFUSED = "Запит містить недопустимі символи."


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(clock, "now", Clock(NOW))


def encoded(value) -> str:
    return "%ff%fe" if value is BAD_UTF8 else quote(value, safe="")


def form(**fields) -> dict:
    """A urlencoded body built by hand, so BAD_UTF8 arrives as the raw bytes it stands for."""
    return {"data": "&".join(f"{name}={encoded(value)}" for name, value in fields.items()),
            "content_type": "application/x-www-form-urlencoded"}


def rows() -> dict[str, int]:
    """The row count of every table: a refused request changes none."""
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def refused(r, status: int, message: str, case: str = "") -> str:
    """The answer has the status and the message and no markup from the input (a refusal, or the page
    shown as if the value were absent); returns its text. `case` names the value tried, for the failure
    message of a test that tries several."""
    text = r.get_data(as_text=True)
    assert r.status_code == status, f"{case}: {text[:500]}"
    assert message in text.replace("&#39;", "'").replace("&#34;", '"'), f"{case}: {text[:2000]}"
    assert SCRIPT not in text, case
    return text


def api_refused(r, status: int, code: str | None = None, case: str = "") -> dict:
    text = r.get_data(as_text=True)[:500]
    assert r.status_code == status and r.mimetype == "application/json", f"{case}: {text}"
    error = r.get_json()["error"]
    assert set(error) == {"code", "message"} and error["message"], f"{case}: {text}"
    assert code is None or error["code"] == code, f"{case}: {text}"
    return error


# ---------------------------------------------------------------- addresses and queries of public pages

@pytest.mark.parametrize("url, status, message", [
    ("/book?office={}", 404, "Такого офісу немає. Оберіть офіс зі списку."),
    ("/book?office=pokrovskyi&category={}", 404, "Такої категорії немає. Оберіть зі списку."),
    ("/book?office=pokrovskyi&service={}", 404, "Ця послуга не надається за попереднім записом у цьому офісі."),
    ("/book?office=pokrovskyi&service=pickup&date={}", 422, "Дата має бути у форматі РРРР-ММ-ДД."),
    ("/book?case={}&sig={}", 404, "Посилання недійсне або документи вже видано."),
    ("/status?code={}", 422, "Код справи — шість цифр, наприклад 123456."),
    ("/b/123456?t={}", 404, "Запис не знайдено"),
    ("/b/123456/move?t={}&date={}", 404, "Запис не знайдено"),
    ("/login?next={}", 200, "Вхід для працівників"),
])
def test_public_pages_refuse_hostile_queries(client, url, status, message):
    before = rows()
    for kind, value in HOSTILE.items():
        refused(client.get(url.replace("{}", encoded(value))), status, message, kind)
    assert rows() == before


@pytest.mark.parametrize("url", ["/b/{}", "/b/{}/calendar.ics", "/r/{}/sig", "/book/details/{}", "/kiosk/{}",
                                 "/display/{}", "/t/{}"])
def test_hostile_path_segments_are_unknown(client, url):
    for kind, value in HOSTILE.items():
        text = refused(client.get(url.replace("{}", encoded(value))), 404, "", kind)
        assert any(m in text for m in ("не знайдено", "Посилання недійсне")), f"{kind}: {text[:2000]}"


def test_dates_outside_the_calendar_are_refused(client):
    for day in ("9999-12-31", "0001-01-01", "2026-02-30", "2026-1-5"):
        refused(client.get(f"/book?office=pokrovskyi&service=pickup&date={day}"), 422,
                "Дата має бути у форматі РРРР-ММ-ДД.", day)
        api_refused(client.get(f"/api/v1/offices/main/slots?service=pickup&date={day}"), 422, case=day)
        api_refused(client.get(f"/api/v1/offices/main/schedule?from={day}&to={day}"), 422, case=day)
    error = api_refused(client.get("/api/v1/offices/main/schedule?from=9999-12-31&to=9999-12-31"), 422)
    assert error == {"code": "date_out_of_range", "message": "Поле «from»: дата має бути між 2000-01-01 і 2099-12-31."}


def test_ids_past_the_id_column_are_unknown(client):
    for url in ("/t/{}", "/display/window/{}", "/kiosk/main/ticket/{}"):
        refused(client.get(url.replace("{}", HUGE_ID)), 404, "Сторінку або запис не знайдено.", url)
    for url in ("/kiosk/main/ticket/{}.json", "/api/v1/tickets/{}", "/api/v1/windows/{}/call-next"):
        api_refused(client.get(url.replace("{}", HUGE_ID)) if "call" not in url else
                    client.post(url.replace("{}", HUGE_ID)), 404, case=url)


def test_the_kiosk_escapes_what_it_echoes(client):
    text = refused(client.get(f"/kiosk/main?idle={encoded(SCRIPT)}&kiosk={encoded(SCRIPT)}"), 200, 'data-idle="30"')
    assert 'data-kiosk="&lt;script&gt;alert(&#34;x' in text
    for kind in ("sql", "long", "bad-utf8"):  # (the script tag's "/" would split the address)
        api_refused(client.get(f"/kiosk/{encoded(HOSTILE[kind])}/status.json"), 404, case=kind)


# ---------------------------------------------------------------- NUL: refused before any query

def test_a_nul_on_a_page_is_refused_in_ukrainian(client):
    before = rows()
    for url in ("/book?office=pok%00rovskyi", "/status?code=123%00456", "/b/123456?t=%00", "/kiosk/ma%00in",
                "/login?next=/%00", "/t/1?x%00=1"):
        refused(client.get(url), 400, NUL_REFUSED, url)
    for url, fields in (("/login", {"username": "admin\x00", "password": "x"}),
                        ("/book/hold", {"office": "pokrovskyi", "service": "pickup\x00",
                                        "date": MONDAY.isoformat(), "start": "10:00"})):
        refused(client.post(url, **form(**fields)), 400, NUL_REFUSED, url)
    assert rows() == before


def test_a_nul_in_the_api_is_a_json_400(client):
    before = rows()
    for url in ("/api/v1/offices/ma%00in", "/api/v1/services?office=%00", "/api/v1/bookings/123456?token=%00",
                "/kiosk/main/status.json?x%00=1"):
        api_refused(client.get(url), 400, "malformed", url)
    for url, body in (("/api/v1/offices/main/tickets", {"service": "pickup\x00"}),
                      ("/api/v1/bookings", {"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(),
                                            "start": "10:00", "name": "Олена\x00", "phone": "+380671234567"}),
                      ("/api/v1/auth/token", {"username": {"nested\x00": 1}, "password": "x"})):
        error = api_refused(client.post(url, json=body), 400, "malformed", url)
        assert error["message"] == NUL_REFUSED
    assert rows() == before


# ---------------------------------------------------------------- the booking forms

@pytest.mark.parametrize("field", ["office", "service", "date", "start"])
def test_hold_form_refuses_hostile_values(client, field):
    fields = {"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(), "start": "10:00"}
    before = rows()
    for kind, value in HOSTILE.items():
        refused(client.post("/book/hold", **form(**fields | {field: value})), 422,
                "Не вдалося прочитати вибір. Почніть спочатку.", kind)
    assert rows() == before


@pytest.mark.parametrize("field, message", [("name", "Вкажіть ім'я літерами"),
                                            ("phone", "Телефон має бути українським номером")])
def test_details_form_refuses_hostile_values_and_keeps_the_hold(client, field, message):
    details = client.post("/book/hold", data={"office": "pokrovskyi", "service": "pickup",
                                              "date": MONDAY.isoformat(), "start": "10:00"}).headers["Location"]
    before = rows()
    for kind, value in HOSTILE.items():
        fields = {"name": "Олена Петренко", "phone": "0671234567", "consent": "1"} | {field: value}
        text = refused(client.post(details, **form(**fields)), 422, message, kind)
        assert kind != "script" or ESCAPED in text  # the typed value comes back in its field, escaped
    assert rows() == before
    booking = db.session.scalar(select(Booking))
    assert booking.status == "held" and booking.name is None and booking.phone is None


def test_a_phone_is_ascii_digits(client):
    for phone in ("0٦٧١٢٣٤٥٦٧", "+38０６７１２３４５６７", "0671234567\n0671234567"):
        error = api_refused(api_book(client, phone=phone), 422, "invalid_phone", phone)
        assert "Телефон має бути українським номером" in error["message"]
    assert db.session.scalar(select(func.count(Booking.id))) == 0


@pytest.mark.parametrize("field", ["date", "start"])
def test_move_form_refuses_hostile_values(client, field):
    one_window_one_place()
    made = api_book(client).get_json()
    before = rows()
    for kind, value in HOSTILE.items():
        fields = {"t": made["manage_token"], "date": MONDAY.isoformat(), "start": "11:00"} | {field: value}
        refused(client.post(f"/b/{made['code']}/move", **form(**fields)), 422, "Оберіть день і час зі списку.", kind)
    assert rows() == before
    booking = db.session.scalar(select(Booking))
    assert (booking.day, booking.start.isoformat(timespec="minutes")) == (MONDAY, "10:00")


# ---------------------------------------------------------------- sign-in and staff forms

def test_login_refuses_hostile_names_without_signing_in(client):
    staff("manager1")
    for kind, value in HOSTILE.items():
        too_long = kind == "long"
        r = client.post("/login", **form(username=value, password="secret-pass-1"))
        text = refused(r, 422 if too_long else 401,
                       "Заповніть форму ще раз" if too_long else "Неправильне ім'я користувача або пароль.", kind)
        assert kind != "script" or ESCAPED in text  # the name stays in its field, escaped
        with client.session_transaction() as session:
            assert "_user_id" not in session, kind


@pytest.fixture
def manager(client):
    staff("manager1", "manager", "pokrovskyi")
    assert login(client).status_code == 302
    return client


@pytest.mark.parametrize("field, message", [("office", "Оберіть офіс зі списку."),
                                            ("service", "Оберіть послугу зі списку."),
                                            ("phone", "Телефон має бути українським номером")])
def test_case_form_refuses_hostile_values(manager, field, message):
    before = rows()
    for kind, value in HOSTILE.items():
        fields = {"office": "pokrovskyi", "service": "pickup", "phone": "0671234567"} | {field: value}
        refused(manager.post("/cases", **form(**fields)), 422, message, kind)
    assert rows() == before


def test_case_status_form_refuses_hostile_values(manager):
    r = manager.post("/api/v1/cases", json={"office": "pokrovskyi", "service": "pickup"},
                     headers={"Authorization": f"Bearer {token(manager)}"})
    code = r.get_json()["code"]
    before = rows()
    for kind, value in HOSTILE.items():
        refused(manager.post(f"/cases/{code}/status", **form(status=value)), 422, "Невідомий стан справи.", kind)
    assert rows() == before and db.session.scalar(select(Case.status)) == "accepted"


@pytest.mark.parametrize("url, fields, field, message", [
    ("/admin/offices/pokrovskyi/windows/new", {"number": "40", "active": "y"}, "number", "Введіть ціле число."),
    ("/admin/offices/pokrovskyi/closures/new", {"scope": "office", "date_from": "2026-12-01",
                                               "date_to": "2026-12-01", "reason": "Санітарний день"},
     "date_from", "Введіть дату у форматі РРРР-ММ-ДД."),
    ("/admin/staff/new", {"username": "new.op", "password": "long-enough-1", "role": "operator"},
     "username", "Від 3 до 80 латинських літер, цифр, крапок, _ або -."),
    ("/admin/offices/pokrovskyi/schedules/new", {"key": "winter", "name": "Зимовий", "priority": "0",
                                                 "mon_open": "08:00-17:00", "mon_reception": "09:00-16:00"},
     "mon_open", "час у форматі ГГ:ХХ-ГГ:ХХ"),
    ("/admin/offices/pokrovskyi/services/pickup", {"walk_in_share": "30"}, "walk_in_share", "Введіть ціле число."),
])
def test_admin_forms_refuse_hostile_values(manager, url, fields, field, message):
    before = rows()
    for kind, value in HOSTILE.items():
        refused(manager.post(url, **form(**fields | {field: value})), 422, message, kind)
    assert rows() == before


def test_admin_refuses_ids_and_dates_past_the_calendar(manager):
    closure = {"scope": "office", "date_from": "2026-12-01", "date_to": "2026-12-01", "reason": "Санітарний день"}
    for field, value, message in (("date_from", "0001-01-01", "Дата має бути між 2000-01-01 і 2099-12-31."),
                                  ("date_to", "9999-12-31", "Дата має бути між 2000-01-01 і 2099-12-31."),
                                  ("reason", "Я" * 301, "Від 2 до 300 символів.")):
        refused(manager.post("/admin/offices/pokrovskyi/closures/new", **form(**closure | {field: value})), 422,
                message, field)
    assert db.session.scalar(select(func.count(Closure.id))) == 0
    fields = {"username": "new.op", "password": "long-enough-1", "role": "operator", "office_id": HUGE_ID}
    refused(manager.post("/admin/staff/new", **form(**fields)), 422, "Оператор і керівник належать до офісу")
    page = manager.get(f"/admin/offices/pokrovskyi/schedules/new?copy={HUGE_ID}")
    assert page.status_code == 200 and "-copy" not in page.get_data(as_text=True)  # an empty form, nothing copied
    refused(manager.get("/admin/offices/pokrovskyi/timetable/9999-12-31"), 404, "Сторінку або запис не знайдено.")
    refused(manager.get("/admin/reports?from=0001-01-01&to=0001-01-02"), 422,
            "Дата має бути між 2000-01-01 і 2099-12-31.")
    refused(manager.get(f"/admin/staff/{HUGE_ID}"), 404, "Сторінку або запис не знайдено.")


def test_free_text_is_stored_as_typed_and_shown_escaped(manager, client):
    """A script tag or an SQL-looking string in free text is text: kept exactly, harmless everywhere."""
    offices_before = db.session.scalar(select(func.count(Office.id)))
    r = manager.post("/admin/offices/pokrovskyi", data={
        "name": f"{SCRIPT} Покровський", "address": "' OR 1=1 -- вул. Тестова, 1", "min_notice_min": 60,
        "horizon_days": 30})
    assert r.status_code == 302
    r = manager.post("/admin/offices/pokrovskyi/closures/new", data={
        "scope": "office", "date_from": "2026-12-01", "date_to": "2026-12-01", "reason": "'; DROP TABLE office; --"})
    assert r.status_code == 302
    assert db.session.scalar(select(func.count(Office.id))) == offices_before
    assert db.session.scalar(select(Closure.reason)) == "'; DROP TABLE office; --"
    for url in ("/book", "/kiosk/pokrovskyi", "/display/pokrovskyi", "/admin/offices/pokrovskyi",
                "/admin/offices/pokrovskyi/schedules", "/admin/audit"):
        text = manager.get(url).get_data(as_text=True)
        assert SCRIPT not in text and (ESCAPED in text or "\\u003cscript\\u003e" in text), url
    assert f"{SCRIPT} Покровський" in {o["name"] for o in client.get("/api/v1/offices").get_json()}


# ---------------------------------------------------------------- API bodies

BODIES = {
    "form-encoded": {"data": "office=main&service=pickup", "content_type": "application/x-www-form-urlencoded"},
    "text/plain JSON": {"data": '{"service": "pickup"}', "content_type": "text/plain"},
    "no body": {},
    "truncated JSON": {"data": '{"service": ', "content_type": "application/json"},
    "a JSON list": {"data": '["pickup"]', "content_type": "application/json"},
    "JSON null": {"data": "null", "content_type": "application/json"},
    "invalid UTF-8": {"data": b'{"service": "\xff\xfe"}', "content_type": "application/json"},
    "a lone surrogate": {"data": '{"service": "\\ud800"}', "content_type": "application/json"},
    "nested past the parser's stack": {"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"},
    "a number too long to read": {"data": '{"window": ' + "9" * 5000 + "}", "content_type": "application/json"},
}


@pytest.mark.parametrize("url", ["/api/v1/offices/main/tickets", "/api/v1/bookings", "/api/v1/auth/token",
                                 "/api/v1/cases"])
def test_api_refuses_bodies_that_are_not_a_json_object(client, url):
    staff("manager1")
    auth = {"Authorization": f"Bearer {token(client)}"}
    before = rows()
    for name, body in BODIES.items():
        api_refused(client.post(url, headers=auth, **body), 400, "malformed", name)
    assert rows() == before


def test_transfer_refuses_window_ids_that_name_no_row(client):
    staff("manager1", "manager", "main")
    auth = {"Authorization": f"Bearer {token(client)}"}
    ticket = client.post("/api/v1/offices/main/tickets", json={"service": "pickup"})
    assert ticket.status_code == 201, ticket.get_json()  # NOW is a Monday morning: the main office receives
    for body, code in (({"window": 10**30}, "invalid_window"), ({"window": -1}, "invalid_window"),
                       ({"window": True}, "invalid_window"), ({"window": 1.5}, "invalid_window"),
                       ({"service": "pickup", "window": 10**30}, "service_or_window")):
        api_refused(client.post(f"/api/v1/tickets/{ticket.get_json()['id']}/transfer", json=body, headers=auth), 422,
                    code, str(body))


def test_a_case_code_that_is_not_six_ascii_digits_is_refused(client):
    staff("manager1")
    auth = {"Authorization": f"Bearer {token(client)}"}
    before = rows()
    for code in ([], {}, 0, "12345", "١٢٣٤٥٦", "¹²³⁴⁵⁶"):
        r = client.post("/api/v1/cases", json={"office": "pokrovskyi", "service": "pickup", "code": code}, headers=auth)
        api_refused(r, 422, "invalid_code", repr(code))
    assert rows() == before


# ---------------------------------------------------------------- too big

TOO_BIG = "Я" * (1024 * 1024)  # 2 MiB in UTF-8, over MAX_CONTENT_LENGTH


def test_pages_refuse_a_huge_body_in_ukrainian(manager):
    before = rows()
    for url, fields in (("/book/hold", {"office": TOO_BIG}), ("/login", {"username": TOO_BIG, "password": "x"}),
                        ("/admin/offices/pokrovskyi/closures/new", {"reason": TOO_BIG})):
        refused(manager.post(url, **form(**fields)), 413, "Запит завеликий.", url)
    assert rows() == before


def test_the_api_refuses_a_huge_body_as_json(client):
    before = rows()
    for url in ("/api/v1/offices/main/tickets", "/api/v1/bookings", "/api/v1/auth/token"):
        error = api_refused(client.post(url, json={"service": TOO_BIG}), 413, "too_large", url)
        assert error["message"] == "Запит завеликий."
    assert rows() == before
