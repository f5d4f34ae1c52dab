"""One catalogue for the whole app (translations/, config babel.cfg): complete, and actually used.

(a) every string the code and templates mark for translation (a fresh extract, as `pybabel extract` makes it)
    has an English translation that is neither empty nor fuzzy, with the same placeholders;
(b) pages render in English with ?lang=en (or the `lang` cookie) and in Ukrainian by default;
(c) the kiosk takes its English from the same catalogue (it no longer has one of its own).

A failure in (a) after adding strings: run
    pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
    pybabel update -i translations/messages.pot -d translations -l en
translate the new entries in translations/en/LC_MESSAGES/messages.po, then `make translations`.
"""
import io
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from markupsafe import escape

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w*\}")


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def catalog():
    return _read(PO)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """What the code and templates mark for translation today, extracted afresh into a temporary file."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                                "-k", "lazy_gettext", "-o", str(pot), "--no-location", str(ROOT)])
    template = _read(pot)
    ids = {m.id for m in template if m.id}
    assert len(ids) > 300  # the whole app: queue_app, kiosk, display and the templates
    return template


# ------------------------------------------------------------------------------------- (a) the catalogue

def test_every_extracted_string_is_translated(catalog, extracted):
    missing = [m.id for m in extracted if m.id and (m.id not in catalog or not catalog[m.id].string)]
    fuzzy = [m.id for m in extracted if m.id and m.id in catalog and catalog[m.id].fuzzy]
    assert not missing, f"{len(missing)} string(s) without an English translation (see this module's docstring): {missing}"
    assert not fuzzy, f"fuzzy translations to check: {fuzzy}"


def test_catalogue_has_no_empty_or_fuzzy_entries(catalog):
    assert str(catalog.locale) == "en"
    entries = [m for m in catalog if m.id]
    assert not [m.id for m in entries if not m.string]
    assert not [m.id for m in entries if m.fuzzy]
    assert not [m.id for m in entries if isinstance(m.id, (list, tuple))]  # no plural forms in use


def test_translations_keep_their_placeholders(catalog):
    wrong = [(m.id, m.string) for m in catalog if m.id and m.string
             and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert not wrong
    assert not list(catalog.check())  # Babel's own checks (python-format and the like)


def test_catalogue_compiles(catalog):
    buf = io.BytesIO()
    write_mo(buf, catalog)
    assert len(buf.getvalue()) > 1000


def test_one_catalogue_for_the_whole_app(app):
    from flask_babel import get_babel
    assert [Path(d).resolve() for d in get_babel(app).translation_directories] == [ROOT / "translations"]
    assert not (ROOT / "kiosk" / "translations").exists()
    config = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    for section in ("[python: queue_app/**.py]", "[python: kiosk/**.py]", "[python: display/**.py]",
                    "[jinja2: templates/**.html]"):
        assert section in config


def test_compiled_catalogue_is_current(catalog):
    """`make translations` builds the .mo the app reads (git-ignored); a stale one would hide new translations."""
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "no compiled catalogue: run `make translations`"
    with mo.open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == {m.id: m.string for m in catalog if m.id}, "the .mo is stale: run `make translations`"


# ------------------------------------------------------------------------------------- (b) the pages

PAGES = {
    # path: (Ukrainian texts, English texts)
    "/": (["Центр адміністративних послуг «Віза»", "Офіси"],
          ["Administrative Services Centre “Viza”", "Offices"]),
    "/kiosk/main": (["Отримати талон", "У мене є запис", "Мої документи готові"],
                    ["Get a ticket", "I have a booking", "My documents are ready"]),
    "/book": (["Попередній запис", "Оберіть офіс"], ["Book an appointment", "Choose an office"]),
    "/status": (["Перевір стан документу/справи", "Перевірити"], ["Check your document/case status", "Check"]),
    "/login": (["Вхід для працівників", "Ім'я користувача", "Пароль", "Увійти"],
               ["Staff login", "Username", "Password", "Log in"]),
}


def _has(html: str, text: str) -> bool:
    """The text on the page, as is or HTML-escaped (an apostrophe becomes &#39;)."""
    return text in html or str(escape(text)) in html


def _untranslated(html: str, catalog) -> list[str]:
    """Catalogue strings (longer ones: short words may also be data) that show in Ukrainian on an English page."""
    return [m.id for m in catalog if m.id and len(m.id) >= 12 and not PLACEHOLDER.search(m.id) and _has(html, m.id)]


@pytest.mark.parametrize("path", PAGES)
def test_page_in_english_and_ukrainian(client, catalog, path):
    uk, en = PAGES[path]
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="uk">' in html
    for text in uk:
        assert _has(html, text), text
    html = client.get(path + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    for text in en:
        assert _has(html, text), text
    for text in uk:
        assert not _has(html, text), text
    assert not _untranslated(html, catalog)


def test_language_cookie_and_back_to_ukrainian(client):
    client.set_cookie("lang", "en")
    assert "Choose an office" in client.get("/book").get_data(as_text=True)
    assert "Оберіть офіс" in client.get("/book?lang=uk").get_data(as_text=True)
    client.delete_cookie("lang")
    assert "Оберіть офіс" in client.get("/book").get_data(as_text=True)


def test_lazy_strings_and_errors_in_english(client):
    r = client.get("/api/v1/tickets/999999?lang=en")
    assert r.status_code == 404
    assert r.get_json()["error"]["message"] == "Ticket not found."
    r = client.get("/api/v1/tickets/999999")
    assert r.get_json()["error"]["message"] == "Талон не знайдено."


# ------------------------------------------------------------------------------------- (c) the kiosk

def test_kiosk_english_comes_from_the_app_catalogue(client, catalog):
    html = client.get("/kiosk/main?lang=en").get_data(as_text=True)
    for uk in ("Отримати талон", "Оберіть категорію послуг", "Надрукувати ще раз", "Немає зв'язку з сервером"):
        assert _has(html, catalog[uk].string) and not _has(html, uk), uk
    # the strings the kiosk script shows are translated on the server too
    assert "Choose a service" in html and "Оберіть послугу" not in html
    st = client.get("/kiosk/nowhere/status.json?lang=en").get_json()
    assert st["error"]["message"] == "Office “nowhere” not found."
