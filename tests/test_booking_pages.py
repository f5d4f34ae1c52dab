"""The booking pages through the test client: every step, the manage link, .ics, QR posters, and bad input."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from queue_app import clock, jobs
from queue_app.extensions import db
from queue_app.models import Booking

from .test_booking_support import MONDAY, NOW, TUESDAY, Clock, api_book, login, one_window_one_place, outbox, staff


@pytest.fixture(autouse=True)
def now(monkeypatch):
    c = Clock(NOW)
    monkeypatch.setattr(clock, "now", c)
    return c


def hold(client, start="10:00", day=MONDAY, office="pokrovskyi", service="pickup"):
    return client.post("/book/hold", data={"office": office, "service": service, "date": day.isoformat(),
                                           "start": start})


def book_on_pages(client, start="10:00", phone="067 123 45 67"):
    r = hold(client, start)
    assert r.status_code == 302, r.text
    r = client.post(r.headers["Location"], data={"name": "Олена Петренко", "phone": phone, "consent": "1"})
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def test_the_steps_office_category_service_day_time(client):
    page = client.get("/book")
    assert page.status_code == 200 and "Оберіть офіс" in page.text and "Покровський район" in page.text
    page = client.get("/book?office=pokrovskyi")
    assert "Оберіть категорію" in page.text and "category=pickup" in page.text
    page = client.get("/book?office=pokrovskyi&category=pickup")
    assert "Оберіть послугу" in page.text and "service=pickup" in page.text
    page = client.get("/book?office=pokrovskyi&service=pickup")  # the deep link of the posters
    assert "Оберіть день" in page.text
    assert f'data-testid="day-{MONDAY.isoformat()}"' in page.text
    assert 'data-testid="day-2026-11-29"' not in page.text  # a Sunday is closed
    page = client.get(f"/book?office=pokrovskyi&service=pickup&date={MONDAY}")
    assert "Оберіть час" in page.text and 'value="09:00"' in page.text and 'value="12:30"' not in page.text
    assert 'name="csrf_token"' in page.text


def test_english(client):
    page = client.get("/book?lang=en")
    assert page.status_code == 200 and 'lang="en"' in page.text and "Pokrovskyi" in page.text


def test_book_confirm_manage_and_cancel(client, app):
    one_window_one_place()
    manage = book_on_pages(client)
    assert "/b/" in manage and "t=" in manage
    page = client.get(manage)
    assert page.status_code == 200 and "Вас записано" in page.text
    b = db.session.scalar(select(Booking))
    assert b.status == "booked" and b.phone == "+380671234567" and b.name == "Олена Петренко"
    assert f'data-testid="code">{b.code}<' in page.text
    assert "<svg" in page.text  # the QR code, inline
    assert "Документ, що посвідчує особу" in page.text  # from the service card
    assert "СМС-повідомлення або шестизначний код" in page.text
    assert "calendar.ics" in page.text and "+380671234567" not in page.text
    # the add-to-calendar file
    token = re.search(r"t=([\w-]+)", manage).group(1)
    ics = client.get(f"/b/{b.code}/calendar.ics?t={token}")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert "DTSTART:20261130T080000Z" in body and "DTEND:20261130T081000Z" in body  # 10:00 Kyiv = 08:00 UTC
    assert body.count("BEGIN:VEVENT") == 1 and "\r\n" in body and "Олена" not in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    # the slot is taken; cancelling frees it
    slots = client.get(f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}").get_json()["slots"]
    assert "10:00" not in [s["start"] for s in slots]
    r = client.post(f"/b/{b.code}/cancel", data={"t": token})
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    assert "Запис скасовано" in page.text
    slots = client.get(f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}").get_json()["slots"]
    assert "10:00" in [s["start"] for s in slots]
    assert [o.kind for o in outbox()] == ["booking_confirmed", "booking_cancelled"]
    again = client.post(f"/b/{b.code}/cancel", data={"t": token})
    assert again.status_code == 409 and "не можна скасувати" in again.text


def test_ics_in_summer_time(client, now):
    now.moment = NOW.replace(year=2027, month=6, day=1)
    r = hold(client, day=date(2027, 6, 7))
    client.post(r.headers["Location"], data={"name": "Олена Петренко", "phone": "0671234567", "consent": "1"})
    b = db.session.scalar(select(Booking))
    token = session_token(client, b.code)
    body = client.get(f"/b/{b.code}/calendar.ics?t={token}").get_data(as_text=True)
    assert "DTSTART:20270607T070000Z" in body  # EEST is UTC+3


def session_token(client, code):
    with client.session_transaction() as s:
        return s["holds"][code]


def test_move_keeps_the_code_and_the_link(client):
    manage = book_on_pages(client)
    b = db.session.scalar(select(Booking))
    token = re.search(r"t=([\w-]+)", manage).group(1)
    page = client.get(f"/b/{b.code}/move?t={token}&date={TUESDAY}")
    assert page.status_code == 200 and 'value="11:00"' in page.text
    r = client.post(f"/b/{b.code}/move", data={"t": token, "date": TUESDAY.isoformat(), "start": "11:00"})
    assert r.status_code == 302
    rows = db.session.scalars(select(Booking).order_by(Booking.id)).all()
    assert [(x.status, x.day, x.start.strftime("%H:%M")) for x in rows] == [
        ("cancelled", MONDAY, "10:00"), ("booked", TUESDAY, "11:00")]
    assert rows[0].code == rows[1].code
    page = client.get(f"/b/{b.code}?t={token}")
    assert "01.12.2026" in page.text and "11:00" in page.text
    bad = client.post(f"/b/{b.code}/move", data={"t": token, "date": "2026-13-01", "start": "11:00"})
    assert bad.status_code == 422 and "Оберіть день і час" in bad.text
    bad = client.post(f"/b/{b.code}/move", data={"t": token, "date": "2026-11-29", "start": "11:00"})  # Sunday
    assert bad.status_code == 422 and "уже зайнятий або недоступний" in bad.text
    assert db.session.scalar(select(Booking).where(Booking.status == "booked")).day == TUESDAY  # unchanged


def test_the_slot_taken_while_choosing(client):
    one_window_one_place()
    assert api_book(client, phone="+380501112233").status_code == 201
    r = hold(client, "10:00")
    assert r.status_code == 409 and "уже зайнятий" in r.text and 'value="10:10"' in r.text


@pytest.mark.parametrize("url, status, message", [
    ("/book?office=nowhere", 404, "Такого офісу немає"),
    ("/book?office=pokrovskyi&service=nothing", 404, "не надається за попереднім записом"),
    ("/book?office=pokrovskyi&category=nothing", 404, "Такої категорії немає"),
    ("/book?office=pokrovskyi&service=pickup&date=30.11.2026", 422, "РРРР-ММ-ДД"),
    ("/book?office=pokrovskyi&service=pickup&date=2026-02-30", 422, "РРРР-ММ-ДД"),
    ("/book?office=pokrovskyi&service=pickup&date=2026-11-29", 200, "вільного часу немає"),
    ("/book?office=pokrovskyi&service=pickup&date=2030-01-01", 200, "вільного часу немає"),
    ("/book?case=123456&sig=x", 404, "Посилання недійсне"),
    ("/book/details/123456", 404, "Почніть спочатку"),
    ("/book/verify/123456", 404, "Почніть спочатку"),
    ("/b/123456?t=nope", 404, "Запис не знайдено"),
    ("/b/123456", 404, "Запис не знайдено"),
    ("/b/123456/calendar.ics?t=nope", 404, "Запис не знайдено"),
    ("/b/123456/move?t=nope", 404, "Запис не знайдено"),
    ("/r/123456/abc", 404, "Посилання недійсне"),
    ("/r/x/y", 404, "Посилання недійсне"),
])
def test_bad_links_get_a_clear_page(client, url, status, message):
    r = client.get(url)
    assert r.status_code == status and message in r.text


@pytest.mark.parametrize("form, status, message", [
    (None, 422, "Не вдалося прочитати вибір"),
    ({"office": "nowhere"}, 422, "Не вдалося прочитати вибір"),
    ({"start": "25:00"}, 422, "Не вдалося прочитати вибір"),
    ({"start": "10"}, 422, "Не вдалося прочитати вибір"),
    ({"date": "yesterday"}, 422, "Не вдалося прочитати вибір"),
    ({"start": "10:05"}, 409, "уже зайнятий або недоступний"),
    ({"date": "2026-11-23", "start": "10:30"}, 409, "уже зайнятий або недоступний"),  # inside the notice
    ({"service": "land_survey_nonexistent"}, 422, "Не вдалося прочитати вибір"),
])
def test_bad_hold_requests(client, form, status, message):
    data = {} if form is None else \
        {"office": "pokrovskyi", "service": "pickup", "date": MONDAY.isoformat(), "start": "10:00"} | form
    r = client.post("/book/hold", data=data)
    assert r.status_code == status and message in r.text
    assert db.session.scalar(select(Booking.id)) is None


@pytest.mark.parametrize("form, message", [
    ({"name": "", "phone": "0671234567", "consent": "1"}, "Вкажіть ім&#39;я літерами"),
    ({"name": "<script>alert(1)</script>", "phone": "0671234567", "consent": "1"}, "Вкажіть ім&#39;я літерами"),
    ({"name": "Олена", "phone": "12345", "consent": "1"}, "Телефон має бути українським номером"),
    ({"name": "Олена", "phone": "+1 555 123 4567", "consent": "1"}, "Телефон має бути українським номером"),
    ({"name": "Олена", "phone": "0671234567"}, "Потрібна згода"),
    ({"name": "О" * 300, "phone": "0671234567", "consent": "1"}, "Вкажіть ім&#39;я літерами"),
])
def test_bad_details_are_explained_and_kept(client, form, message):
    r = hold(client)
    page = client.post(r.headers["Location"], data=form)
    assert page.status_code == 422 and message in page.text
    assert 'aria-invalid="true"' in page.text or "Потрібна згода" in message
    assert "<script>alert" not in page.text
    assert db.session.scalar(select(Booking.status)) == "held"  # the hold is kept while the form is corrected


def test_another_browser_cannot_fill_in_my_hold(client, app):
    r = hold(client)
    other = app.test_client()
    assert other.get(r.headers["Location"]).status_code == 404


def test_posters_need_a_manager_and_give_svg_and_png(client, app):
    assert client.get("/book/posters").status_code == 302
    staff("op1", role="operator")
    login(client, "op1")
    assert client.get("/book/poster.svg?office=pokrovskyi").status_code == 403
    client.post("/logout")
    staff()
    login(client)
    app.config["PUBLIC_URL"] = "https://viza.kr.gov.ua"
    page = client.get("/book/posters")
    assert page.status_code == 200 and "Покровський район" in page.text and "service=pickup" in page.text
    page = client.get("/book/poster?office=pokrovskyi&service=pickup")
    assert page.status_code == 200 and "<svg" in page.text
    assert "https://viza.kr.gov.ua/book?office=pokrovskyi&amp;service=pickup" in page.text
    svg = client.get("/book/poster.svg?office=pokrovskyi&service=pickup")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<?xml")
    png = client.get("/book/poster.png?office=pokrovskyi")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/book/poster.gif?office=pokrovskyi").status_code == 404
    assert client.get("/book/poster.svg?office=nowhere").status_code == 404
    assert client.get("/book/poster.svg?office=pokrovskyi&service=nothing").status_code == 404


def test_the_qr_on_the_poster_decodes_to_the_deep_link(client, app):
    """segno writes what we ask: check the matrix equals the one made from the link."""
    import segno
    staff()
    login(client)
    app.config["PUBLIC_URL"] = "https://viza.kr.gov.ua"
    expected = segno.make("https://viza.kr.gov.ua/book?office=main&service=pickup", error="q")
    import io
    buf = io.BytesIO()
    expected.save(buf, kind="svg", scale=16, border=4)
    assert client.get("/book/poster.svg?office=main&service=pickup").data == buf.getvalue()


def test_no_shows_json_needs_a_manager(client):
    assert client.get("/book/no-shows?format=json").status_code == 302


def test_the_job_command_runs(client, app, now):
    book_on_pages(client)
    now.moment = NOW.replace(day=30, hour=11)
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0 and "no_shows=1" in result.output
    assert jobs.mark_no_shows() == 0
