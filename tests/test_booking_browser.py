"""End to end in a real browser on a phone-sized screen: book a slot, open the private link, cancel;
the slot is free again. A real server (gunicorn + gevent) runs as a subprocess on the test's database.

Debian's Chromium (/usr/bin/chromium) only, never a downloaded browser. SKIP_BROWSER=1 skips.
The server's clock starts at Monday 23 November 2026, 10:00 (QUEUE_FAKE_NOW), as in the unit tests.
"""
import os

import pytest
import requests

from .conftest import LiveServer
from .test_booking_support import MONDAY, one_window_one_place

FAKE_NOW = "2026-11-23T10:00:00+02:00"

pytestmark = pytest.mark.skipif(os.environ.get("SKIP_BROWSER") == "1", reason="SKIP_BROWSER=1")


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
            "is_mobile": True, "has_touch": True, "locale": "uk-UA"}


@pytest.fixture
def server(app, database_url):
    one_window_one_place()  # one place a slot, so "taken" and "free again" are unambiguous
    from queue_app.extensions import db
    db.session.remove()
    db.engine.dispose()
    live = LiveServer(database_url, QUEUE_FAKE_NOW=FAKE_NOW)
    yield live
    live.stop()


def free_starts(server) -> list[str]:
    r = requests.get(f"{server.url}/api/v1/offices/pokrovskyi/slots",
                     params={"service": "pickup", "date": MONDAY.isoformat()}, timeout=10)
    assert r.status_code == 200, r.text
    return [s["start"] for s in r.json()["slots"]]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_book_on_a_phone_then_cancel_from_the_private_link(server, page):
    assert "10:00" in free_starts(server)
    page.goto(f"{server.url}/book")
    assert no_sideways_scroll(page)
    page.get_by_test_id("office-pokrovskyi").click()
    page.get_by_test_id("category-pickup").click()
    page.get_by_test_id("service-pickup").click()
    page.get_by_test_id(f"day-{MONDAY.isoformat()}").click()
    assert no_sideways_scroll(page)
    page.get_by_test_id("time-10:00").click()

    # the details form: a wrong phone is explained in Ukrainian, the hold is kept
    page.get_by_test_id("name").fill("Олена Петренко")
    page.get_by_test_id("phone").fill("12345")
    page.get_by_test_id("consent").check()
    page.get_by_test_id("confirm").click()
    assert "Телефон має бути українським номером" in page.content()
    assert "10:00" not in free_starts(server)  # held while the form is corrected
    page.get_by_test_id("phone").fill("067 123 45 67")
    page.get_by_test_id("consent").check()
    page.get_by_test_id("confirm").click()

    page.get_by_test_id("confirmed").wait_for()
    code = page.get_by_test_id("code").inner_text().strip()
    assert len(code) == 6 and code.isdigit()
    assert page.locator(".qr svg").count() == 1
    assert "30.11.2026" in page.get_by_test_id("when").inner_text()
    assert page.get_by_test_id("documents").inner_text().count("\n") >= 2
    assert no_sideways_scroll(page)
    ics = page.get_by_test_id("ics").get_attribute("href")
    r = requests.get(server.url + ics, timeout=10)
    assert r.status_code == 200 and "DTSTART:20261130T080000Z" in r.text
    assert "10:00" not in free_starts(server)

    # the private link, opened afresh (as from the SMS or a bookmark), in a new page
    link = page.get_by_test_id("manage-link").input_value()
    path = link[link.index("/b/"):]
    manage = page.context.new_page()
    manage.goto(server.url + path)
    assert manage.get_by_test_id("code").inner_text().strip() == code
    assert manage.get_by_test_id("status").inner_text() == "Підтверджено"
    manage.once("dialog", lambda dialog: dialog.accept())
    manage.get_by_test_id("cancel").click()
    manage.get_by_test_id("cancelled").wait_for()
    assert manage.get_by_test_id("status").inner_text() == "Скасовано"
    assert "10:00" in free_starts(server)  # the slot is free again
