"""The operator's workstation in a real browser against a real server (gunicorn + gevent), its content
security policy enforced: the administrator at window marks a waiting ticket with a priority category
from the queue list, and "Next" then calls that ticket first.

Debian's Chromium (/usr/bin/chromium), never a downloaded browser. SKIP_BROWSER=1 skips.
"""
import os
import re

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import Window
from tests.conftest import LiveServer
from tests.test_admin_helpers import PASSWORD, ensure_schema, make_staff, office

pytestmark = pytest.mark.skipif(os.environ.get("SKIP_BROWSER") == "1", reason="SKIP_BROWSER=1")
FAKE_NOW = "2026-11-24T11:00:00+02:00"  # a Tuesday: the main office takes walk-ins


@pytest.fixture
def site(app, database_url):
    ensure_schema()
    make_staff("op1", "operator", "main")
    window = next(w for w in office("main").windows if any(s.code == "pickup" for s in w.services))
    number = db.session.scalar(select(Window.number).where(Window.id == window.id))
    db.session.remove()
    db.engine.dispose()
    server = LiveServer(database_url, QUEUE_FAKE_NOW=FAKE_NOW)
    server.window_number = number
    yield server
    server.stop()


def issue(site) -> dict:
    r = requests.post(f"{site.url}/api/v1/offices/main/tickets", json={"service": "pickup"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_priority_marked_on_the_workstation_is_called_first(page, site):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    first, veteran = issue(site), issue(site)
    page.goto(f"{site.url}/login?next=/operator/")
    page.fill("input[name=username]", "op1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("button", name=re.compile(rf"^Вікно {site.window_number}\b")).click()
    row = page.locator("#waiting tr", has_text=veteran["number"])
    select_box = row.get_by_label(f"Пріоритет талона {veteran['number']}")
    expect(select_box).to_be_visible()
    select_box.select_option("veteran")
    # The list is read again after the change: the veteran's row comes first, starred.
    expect(page.locator("#waiting tr").first).to_contain_text(f"{veteran['number']} ★")
    page.click("#btn-next")
    expect(page.locator("#current-number")).to_have_text(veteran["number"])
    expect(page.locator("#waiting tr").first).to_contain_text(first["number"])
    assert not violations
