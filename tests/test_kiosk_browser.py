"""Issue 5, the kiosk, end to end: Debian's Chromium against a real server (gunicorn -k gevent -w 1).

The server's clock is frozen with QUEUE_FAKE_NOW (queue_app/clock.py), so the paths run whatever the
day of the week. No browser is downloaded: /usr/bin/chromium only. SKIP_BROWSER=1 skips the module.
Screenshots of the start screen and a ticket in both orientations go to docs/screenshots/kiosk-*.png.
"""
import os
import re
import socket
import subprocess
import sys
import time as _time
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SHOTS = ROOT / "docs" / "screenshots"
TUESDAY_11 = "2026-11-24T11:00:00+02:00"   # main office: reception 09:00–20:00
SUNDAY_11 = "2026-11-22T11:00:00+02:00"    # closed everywhere
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}

pytestmark = pytest.mark.skipif(os.environ.get("SKIP_BROWSER") == "1", reason="SKIP_BROWSER=1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn -k gevent -w 1 wsgi:app on this test's database, its clock at `fake_now`."""

    def __init__(self, database_url: str, fake_now: str, log_path: Path, port: int | None = None, **env):
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "QUEUE_FAKE_NOW": fake_now,
                    "PYTHONUNBUFFERED": "1", **env}
        self.env.pop("REDIS_URL", None)
        self.log_path = log_path
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a+")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "1", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = _time.monotonic() + 40
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:  # not listening yet, or still importing
                pass
            if self.proc.poll() is not None or _time.monotonic() > deadline:
                self.log.seek(0)
                pytest.fail("the server did not start:\n" + self.log.read()[-4000:])
            _time.sleep(0.15)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def serve(app, database_url, tmp_path):
    """serve(fake_now, **env) → a started server; the database can be prepared through `app` first."""
    from queue_app.extensions import db
    started = []

    def start(fake_now=TUESDAY_11, **env):
        db.session.remove()
        db.engine.dispose()
        server = Server(database_url, fake_now, tmp_path / "server.log", **env).start()
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


@contextmanager
def kiosk_page(browser, url, viewport=PORTRAIT):
    # bypass_csp: wait_for_function evaluates its predicate with eval, which the app's Content-Security-Policy
    # refuses; test_security.py::test_every_screen_runs_under_the_policy checks the kiosk under the policy.
    context = browser.new_context(viewport=viewport, locale="uk-UA", timezone_id="Europe/Kyiv", bypass_csp=True)
    # Count print() calls of the page and of the print frame (the kiosk prints through a hidden frame).
    context.add_init_script("window.print = function () { try { window.top.__prints = (window.top.__prints || 0) + 1; }"
                            " catch (e) {} };")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(url)
    try:
        yield page
    finally:
        context.close()


def _visible(page, screen):
    page.wait_for_selector(f"#screen-{screen}:not([hidden])")


def _type_code(page, code):
    for d in code:
        page.click(f".k-key[data-digit='{d}']")


def _tickets(database_url):
    import sqlalchemy as sa
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT letter, seq, source, status, booking_id FROM ticket ORDER BY id")).all()
    finally:
        engine.dispose()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"kiosk-{name}.png"))


# --------------------------------------------------------------------------------------------- walk-in

@pytest.mark.parametrize("orientation, viewport", [("portrait", PORTRAIT), ("landscape", LANDSCAPE)])
def test_walk_in_ticket(serve, browser, database_url, orientation, viewport):
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main", viewport) as page:
        _visible(page, "start")
        page.wait_for_function("document.getElementById('k-hours').textContent.includes('09:00')")
        assert page.inner_text("#btn-walkin").startswith("Отримати талон")
        assert page.get_attribute("html", "lang") == "uk"
        assert page.inner_text("#k-clock") == "11:00"  # the server's (frozen) time, not the machine's
        _shot(page, f"start-{orientation}")
        # Targets are large: every start button at least 200 px high and 400 px wide.
        for sel in ("#btn-walkin", "#btn-booking", "#btn-case"):
            box = page.locator(sel).bounding_box()
            assert box["height"] >= 200 and box["width"] >= 400, (sel, box)

        page.click("#btn-walkin")
        _visible(page, "categories")
        cats = page.locator("#category-list .k-tile")
        assert cats.count() == 5 and "Земельні питання" in cats.first.inner_text()
        page.click("[data-category='land']")
        _visible(page, "services")
        assert page.inner_text("#svc-title") == "Земельні питання"
        page.click("[data-service='17-02']")

        _visible(page, "ticket")
        assert page.inner_text("#t-number") == "З-001"
        page.wait_for_function("document.getElementById('t-service').textContent.startsWith('Надання згоди')")
        assert page.inner_text("#t-ahead") == "Ви наступні"
        assert "Орієнтовне очікування" in page.inner_text("#t-wait")
        assert re.search(r"Видано: 24\.11\.2026 11:0\d", page.inner_text("#t-issued"))
        assert "головний офіс" in page.inner_text("#t-office")
        page.wait_for_selector("#t-qr svg")
        # Browser printing: the printable ticket is loaded in the hidden frame and prints itself.
        page.wait_for_function("window.__prints >= 1")
        assert re.search(r"/kiosk/main/ticket/\d+\?autoprint=1", page.get_attribute("#print-frame", "src"))
        page.wait_for_function("document.getElementById('ticket-print-status').textContent.includes('надруковано')")
        _shot(page, f"ticket-{orientation}")
        page.click("#btn-reprint")
        page.wait_for_function("window.__prints >= 2")
        page.click("#btn-done")
        _visible(page, "start")
        if orientation == "portrait":  # the paper ticket as the 80 mm print stylesheet lays it out
            paper = page.context.new_page()
            paper.set_viewport_size({"width": 302, "height": 900})
            paper.goto(server.url + page.get_attribute("#print-frame", "src").split("?")[0])
            paper.emulate_media(media="print")
            assert paper.inner_text(".p-number") == "З-001"
            assert paper.locator(".paper-ticket svg").bounding_box()["width"] >= 140
            paper.screenshot(path=str(SHOTS / "kiosk-paper.png"), full_page=True)
    rows = _tickets(database_url)
    assert [(r.letter, r.seq, r.source) for r in rows] == [("З", 1, "walk_in")]


def test_service_past_its_cap_is_shown_disabled(serve, browser, app, database_url):
    from queue_app.extensions import db
    from queue_app.models import Office, OfficeService, Service
    main = db.session.scalar(select(Office).where(Office.code == "main"))
    for code, cap, last in (("17-03", 0, None), ("17-19", None, "10:00")):
        svc = db.session.scalar(select(Service).where(Service.code == code))
        terms = db.session.get(OfficeService, (main.id, svc.id))
        terms.daily_cap, terms.last_ticket_time = cap, last
    db.session.commit()
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main") as page:
        page.click("#btn-walkin")
        page.click("[data-category='permits']")
        _visible(page, "services")
        capped, late = page.locator("[data-service='17-03']"), page.locator("[data-service='17-19']")
        assert capped.is_disabled() and "талони на цю послугу закінчилися" in capped.inner_text()
        assert "Залишилось талонів: 0" in capped.inner_text()
        assert late.is_disabled() and "Талони до 10:00" in late.inner_text() and "завтра" in late.inner_text()
        assert "закінчилися" in capped.get_attribute("aria-label")
        assert page.locator("[data-service='17-18']").is_enabled()
    assert _tickets(database_url) == []


# --------------------------------------------------------------------------------------------- bookings

def _booking(code, start, service="17-02", office="main", day="2026-11-24"):
    from queue_app.extensions import db
    from queue_app.models import Booking, Office, Service
    off = db.session.scalar(select(Office).where(Office.code == office))
    svc = db.session.scalar(select(Service).where(Service.code == service))
    end = (datetime.combine(datetime.today(), start) + timedelta(minutes=svc.duration_min)).time()
    db.session.add(Booking(code=code, office_id=off.id, service_id=svc.id, day=datetime.fromisoformat(day).date(),
                           start=start, end=end, status="booked", manage_token_hash="0" * 64, name="Тест"))
    db.session.commit()


def test_booking_check_in_by_keypad_and_by_scanner(serve, browser, app, database_url):
    _booking("135790", time(11, 30))
    _booking("246802", time(11, 5), service="17-04")
    _booking("112233", time(13, 0))  # too early: check-in opens at 12:00
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main") as page:
        _visible(page, "start")
        page.click("#btn-booking")
        _visible(page, "code")
        assert page.inner_text("#code-title") == "Введіть код запису"
        _type_code(page, "1357")
        assert page.locator("#key-ok").is_disabled()
        page.click("#key-del")
        _type_code(page, "79")
        assert page.locator("#key-ok").is_disabled()
        _type_code(page, "0")
        assert page.inner_text("#code-display").split() == list("135790")
        page.click("#key-ok")
        _visible(page, "ticket")
        assert page.inner_text("#t-number") == "З-001"
        assert page.inner_text("#t-note") == "Вас викличуть близько 11:30."
        page.click("#btn-done")
        _visible(page, "start")

        # A USB scanner types the QR's content (a URL ending in the code) and Enter, from the start screen.
        page.keyboard.type(server.url + "/b/246802", delay=5)
        page.keyboard.press("Enter")
        _visible(page, "ticket")
        assert page.inner_text("#t-number") == "З-002"
        page.wait_for_function("document.getElementById('t-service').textContent.startsWith('Видача довідки')")
        page.click("#btn-done")

        # Too early: the API's 409 too_early message is shown, no ticket.
        page.keyboard.type("112233", delay=5)
        page.keyboard.press("Enter")
        _visible(page, "message")
        assert "Ви прийшли зарано. Зареєструйтеся після 12:00." in page.inner_text("#msg-text")
    rows = _tickets(database_url)
    assert [(r.letter, r.seq, r.source) for r in rows] == [("З", 1, "booking"), ("З", 2, "booking")]


def test_pick_up_by_case_code(serve, browser, app, database_url):
    from queue_app.extensions import db
    from queue_app.models import Case, Office, Service
    main = db.session.scalar(select(Office).where(Office.code == "main"))
    svc = db.session.scalar(select(Service).where(Service.code == "17-08"))
    db.session.add(Case(code="424242", office_id=main.id, service_id=svc.id, status="ready"))
    db.session.commit()
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main") as page:
        page.click("#btn-case")
        _visible(page, "code")
        assert page.inner_text("#code-title") == "Введіть код зі СМС"
        _type_code(page, "424242")
        page.click("#key-ok")
        _visible(page, "ticket")
        assert page.inner_text("#t-number") == "Р-001"
        page.wait_for_function("document.getElementById('t-service').textContent === 'Видача результату послуги'")
    assert [(r.letter, r.source) for r in _tickets(database_url)] == [("Р", "pickup")]


def test_wrong_codes_are_said_on_the_keypad(serve, browser, database_url):
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main") as page:
        page.click("#btn-booking")
        _type_code(page, "000000")
        page.click("#key-ok")
        page.wait_for_selector("#code-error:not([hidden])")
        assert page.inner_text("#code-error") == "Запис із таким кодом на сьогодні в цьому офісі не знайдено."
        assert page.is_visible("#screen-code") and page.inner_text("#code-display").strip() == ""
        page.click("#screen-code [data-go='start']")
        page.click("#btn-case")
        page.keyboard.type("999999")  # a keyboard works on the keypad screen too
        page.keyboard.press("Enter")
        page.wait_for_selector("#code-error:not([hidden])")
        assert page.inner_text("#code-error") == "Готових документів із таким кодом не знайдено."
    assert _tickets(database_url) == []


# --------------------------------------------------------------------------------------------- closed, offline

def test_closed_office_says_when_it_opens(serve, browser, database_url):
    server = serve(SUNDAY_11)
    with kiosk_page(browser, server.url + "/kiosk/main", LANDSCAPE) as page:
        _visible(page, "closed")
        assert page.inner_text("#closed-title") == "Зараз прийом не ведеться"
        assert page.inner_text("#closed-next") == "Наступний прийом: завтра о 09:00."
        assert not page.is_visible("#btn-walkin")
        page.keyboard.type("123456")  # a scanned code does nothing while closed
        page.keyboard.press("Enter")
        _shot(page, "closed-landscape")
        page.click(".k-lang-btn[data-lang='en']")
        page.wait_for_function("document.documentElement.lang === 'en'")
        _visible(page, "closed")
        page.wait_for_function("document.getElementById('closed-next').textContent === "
                               "'Next reception: tomorrow at 09:00.'")
    assert _tickets(database_url) == []


def test_server_gone_then_back(serve, browser, database_url):
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main?idle=600") as page:
        page.wait_for_function("document.getElementById('k-hours').textContent.includes('09:00')")
        page.click("#btn-walkin")
        page.click("[data-category='pickup']")
        server.stop()
        page.click("[data-service='pickup']")
        page.wait_for_selector("#k-offline:not([hidden])")
        assert "Немає зв'язку з сервером" in page.inner_text("#k-offline")
        server.start()  # same port; the kiosk polls every 5 s while offline
        page.wait_for_selector("#k-offline", state="hidden", timeout=20000)
        _visible(page, "start")  # back at the start by itself
        page.click("#btn-walkin")
        page.click("[data-category='pickup']")
        page.click("[data-service='pickup']")
        _visible(page, "ticket")
        assert page.inner_text("#t-number") == "Р-001"


# --------------------------------------------------------------------------------------------- idle, language, printer

def test_idle_reset_returns_to_start_in_ukrainian(serve, browser):
    server = serve()
    with kiosk_page(browser, server.url + "/kiosk/main?idle=2") as page:
        page.click("#btn-walkin")
        _visible(page, "categories")
        page.wait_for_selector("#screen-start:not([hidden])", timeout=6000)
        page.click("#btn-booking")
        _type_code(page, "12")
        _time.sleep(1.2)
        _type_code(page, "3")  # activity keeps the screen
        assert page.is_visible("#screen-code")
        _visible(page, "start")
        # English for one citizen; the kiosk returns to Ukrainian for the next.
        page.click(".k-lang-btn[data-lang='en']")
        page.wait_for_function("document.documentElement.lang === 'en'")
        assert "Get a ticket" in page.inner_text("#btn-walkin")
        assert "idle=2" in page.url
        page.click("#btn-walkin")
        page.wait_for_function("document.documentElement.lang === 'uk'", timeout=8000)
        _visible(page, "start")
        assert "Отримати талон" in page.inner_text("#btn-walkin")


def test_failing_escpos_printer_keeps_the_ticket_on_screen(serve, browser, database_url):
    dead = f"network:127.0.0.1:{_free_port()}"  # nothing listens there
    server = serve(KIOSK_PRINTER=dead)
    with kiosk_page(browser, server.url + "/kiosk/main") as page:
        assert page.get_attribute("body", "data-print-mode") == "escpos"
        page.click("#btn-walkin")
        page.click("[data-category='pickup']")
        page.click("[data-service='pickup']")
        _visible(page, "ticket")
        page.wait_for_selector("#ticket-print-status.k-bad")
        assert "Принтер не надрукував талон" in page.inner_text("#ticket-print-status")
        assert page.inner_text("#t-number") == "Р-001" and page.is_visible("#t-qr svg")
        page.click("#btn-reprint")
        page.wait_for_selector("#ticket-print-status.k-bad")
        assert page.evaluate("window.__prints || 0") == 0  # no browser printing in ESC/POS mode
    assert [(r.letter, r.seq, r.status) for r in _tickets(database_url)] == [("Р", 1, "waiting")]
