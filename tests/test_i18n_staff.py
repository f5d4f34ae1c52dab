"""The staff side in two languages, from the app's one catalogue (see tests/test_i18n.py):
the administration pages, their forms (labels and validation messages are lazy strings) and the operator
workstation, whose script takes its strings from the page. Ukrainian by default, English with ?lang=en."""
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from markupsafe import escape
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.models import Office
from tests.test_admin_helpers import admin_client, now, schema  # noqa: F401
from tests.test_i18n import _has, _untranslated

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"

PAGES = {
    # path: (Ukrainian texts, English texts)
    "/admin/": (["Офіси", "Журнал змін", "моніторинг"], ["Offices", "Change log", "monitoring"]),
    "/admin/dashboard/main": (["Моніторинг", "Очікують", "Найдовше чекає, хв", "Черга за послугами",
                               "Записи на сьогодні", "Налаштування і вікна"],
                              ["Monitoring", "Waiting", "Longest wait, min", "Queue by service", "Today's bookings",
                               "Settings and windows"]),
    "/admin/offices/main": (["Пауза офісу", "Призупинити офіс", "Адреса", "Запис наперед, днів",
                             "Враховувати державні свята (вихідні дні)", "Зберегти", "Додати вікно"],
                            ["Office pause", "Pause the office", "Address", "Booking ahead, days",
                             "Observe public holidays (days off)", "Save", "Add window"]),
    "/admin/staff/new": (["Новий працівник", "Ім'я користувача", "Адміністратор вікна (оператор)",
                          "Обліковий запис діє"],
                         ["New staff member", "Username", "Window clerk (operator)", "Account active"]),
}


@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as f:
        return read_po(f)


def _data_values() -> set[str]:
    """Office names and addresses are data, shown as they are in either language (an office may be called
    like a catalogue string, e.g. the centre itself)."""
    return {v for o in db.session.scalars(select(Office)) for v in (o.name, o.address) if v}


def _untranslated_ui(html: str, catalog) -> list[str]:
    """Catalogue strings left in Ukrainian on an English page, once the data values are taken out."""
    for value in sorted(_data_values(), key=len, reverse=True):
        html = html.replace(value, "").replace(str(escape(value)), "")
    return _untranslated(html, catalog)


def _strings(html: str, element_id: str) -> dict:
    """The JSON of translated strings a page hands to its script."""
    m = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert m, element_id
    return json.loads(m.group(1))


@pytest.mark.parametrize("path", PAGES)
def test_admin_page_in_ukrainian_and_english(admin_client, now, catalog, path):  # noqa: F811
    uk, en = PAGES[path]
    r = admin_client.get(path)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<html lang="uk">' in html
    for text in uk:
        assert _has(html, text), text
    r = admin_client.get(path + "?lang=en")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in en:
        assert _has(html, text), text
    for text in uk:
        assert not _has(html, text), text
    assert not _untranslated_ui(html, catalog)


def test_admin_dashboard_script_strings(admin_client, now):  # noqa: F811
    uk = _strings(admin_client.get("/admin/dashboard/main").get_data(as_text=True), "dashboard-i18n")
    en = _strings(admin_client.get("/admin/dashboard/main?lang=en").get_data(as_text=True), "dashboard-i18n")
    assert uk["no_queue"] == "Черги немає" and en["no_queue"] == "No queue"
    assert uk["state"]["busy"] == "обслуговує" and en["state"]["busy"] == "serving"
    assert uk["locale"] == "uk-UA" and en["locale"] == "en-GB"
    assert en["office_paused"] == "Office paused: {reason}"


def test_admin_form_errors_in_english(admin_client, now):  # noqa: F811
    data = {"name": "", "address": "x", "min_notice_min": -5, "horizon_days": 0}
    page = admin_client.post("/admin/offices/main", data=data).get_data(as_text=True)
    assert "Це поле обов&#39;язкове." in page and "Горизонт має бути від 1 до 365." in page
    r = admin_client.post("/admin/offices/main?lang=en", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "This field is required." in page and "From 5 to 300 characters." in page
    assert "Horizon must be between 1 and 365." in page and "Notice must be between 0 and 10080." in page
    assert "Check the marked fields: changes not saved." in page
    assert "Горизонт" not in page and "обов&#39;язкове" not in page


def test_operator_workstation_in_ukrainian_and_english(admin_client, now, catalog):  # noqa: F811
    window = db.session.scalar(select(Office).where(Office.code == "main")).windows[0]
    path = f"/operator/window/{window.id}"
    html = admin_client.get(path).get_data(as_text=True)
    assert '<html lang="uk">' in html
    for text in ("Наступний", "Повторити виклик", "Черга", "Причина паузи"):
        assert _has(html, text), text
    strings = _strings(html, "ws-i18n")
    assert strings["queue_empty"] == "Черга порожня" and strings["call"] == "Викликати"
    assert strings["status"] == {"called": "викликано", "serving": "обслуговується"}

    html = admin_client.get(path + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Наступний" not in html and "Повторити виклик" not in html
    assert not _untranslated_ui(html, catalog)
    strings = _strings(html, "ws-i18n")
    assert strings["queue_empty"] == "The queue is empty" and strings["no_current"] == "No current ticket"
    assert strings["call"] == "Call" and strings["status"] == {"called": "called", "serving": "being served"}
    assert strings["office_paused"] == "Office paused: {reason}"
    assert strings["window_paused"] == "Window paused: {reason}"


def test_staff_scripts_hold_no_text_of_their_own():
    """The scripts read their strings from the page: no Ukrainian left in them (comments aside)."""
    cyrillic = re.compile("[\u0400-\u04FF]")
    for name in ("operator/workstation.js", "admin/dashboard.js", "admin/plan.js"):
        code = (ROOT / "static" / name).read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", code, flags=re.S)
        assert not cyrillic.search(code), name
