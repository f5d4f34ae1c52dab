"""The public screens: hall board, window display and the citizen's ticket page (server side)."""
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Office, Service, Ticket, Window

ROOT = Path(__file__).resolve().parent.parent
AUDIO = ROOT / "static" / "audio"


def _office(code: str = "main") -> Office:
    return db.session.scalar(select(Office).where(Office.code == code))


def _window(code: str = "main", number: int = 3) -> Window:
    office = _office(code)
    return db.session.scalar(select(Window).where(Window.office_id == office.id, Window.number == number))


def _ticket(status: str = "waiting", window: Window | None = None, seq: int = 15) -> Ticket:
    office = _office("main")
    service = db.session.scalar(select(Service).where(Service.code == "pickup"))
    t = Ticket(office_id=office.id, service_id=service.id, day=clock.now().date(), letter=service.ticket_letter,
               seq=seq, status=status, window_id=window.id if window else None)
    if status in ("called", "serving"):
        t.called_at = clock.now()
    db.session.add(t)
    db.session.commit()
    return t


@pytest.mark.parametrize("code", ["main", "dovhyntsivskyi", "pokrovskyi", "inhuletskyi", "inhulets",
                                  "saksahanskyi", "ternivskyi", "tsentralno-miskyi"])
def test_board_renders_office_name(client, code):
    office = _office(code)
    r = client.get(f"/display/{code}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert office.name in html
    assert f'data-office="{code}"' in html
    # the kiosk page hides the site header and loads the Socket.IO client and the board script
    assert "site-header" not in html
    assert "/static/vendor/socket.io.min.js" in html and "/static/display/board.js" in html
    assert "Увімкнути звук" in html and "єднання втрачено" in html
    assert r.headers["Cache-Control"] == "no-store"


def test_screens_are_ukrainian_whatever_the_kiosk_browser_language(client):
    office = _office("main")
    html = client.get("/display/main", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert office.name in html and '<html lang="uk">' in html and "Запрошується" in html
    window = _window("main", 2)
    html = client.get(f"/display/window/{window.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert office.name in html and '<html lang="uk">' in html
    assert office.name_en in client.get("/display/main?lang=en").get_data(as_text=True)


def test_board_shows_office_pause_from_the_start(client):
    office = _office("main")
    office.paused_reason = "Повітряна тривога"
    db.session.commit()
    html = client.get("/display/main").get_data(as_text=True)
    assert "Повітряна тривога" in html
    assert 'id="board-paused" hidden' not in html
    office.paused_reason = None
    db.session.commit()
    assert 'id="board-paused" hidden' in client.get("/display/main").get_data(as_text=True)


def test_window_display_renders_window_number(client):
    window = _window("main", 7)
    r = client.get(f"/display/window/{window.id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-window="7"' in html and 'data-office="main"' in html
    assert "Вікно" in html and '<span class="window-title-number">7</span>' in html
    assert _office("main").name in html
    assert "site-header" not in html and "/static/display/window.js" in html


def test_ticket_page_waiting(client):
    t = _ticket("waiting")
    r = client.get(f"/t/{t.id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Р-015" in html
    assert t.service.name in html
    assert "Очікуєте в черзі" in html
    assert f'data-api="/api/v1/tickets/{t.id}"' in html
    assert "/static/display/ticket.js" in html
    assert 'id="t-call" hidden' in html  # not called yet
    # The page starts from the very message the API and the socket send, its place in the queue included.
    initial = json.loads(re.search(r'id="ticket-initial">(.*?)</script>', html).group(1))
    assert initial == client.get(f"/api/v1/tickets/{t.id}").get_json()
    assert isinstance(initial["position"], int) and initial["position"] >= 1


def test_ticket_page_called_shows_the_window(client):
    t = _ticket("called", window=_window("main", 3), seq=123)
    html = client.get(f"/t/{t.id}").get_data(as_text=True)
    assert "Р-123" in html and "Вас запрошено" in html
    assert 'id="t-call" hidden' not in html
    assert '<strong id="t-call-window">3</strong>' in html


@pytest.mark.parametrize("path", ["/display/nowhere", "/display/window/999999", "/t/999999",
                                  "/display/window/abc", "/t/abc"])
def test_unknown_things_give_a_ukrainian_404_page(client, path):
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "не знайдено" in r.get_data(as_text=True)


def test_static_assets_are_served(client):
    for path in ["/static/display/board.js", "/static/display/board.css", "/static/display/window.js",
                 "/static/display/ticket.js", "/static/display/ticket.css", "/static/vendor/socket.io.min.js",
                 "/static/audio/chime.ogg", "/static/audio/word-talon.ogg", "/static/audio/word-vikno.ogg"]:
        r = client.get(path)
        assert r.status_code == 200, path
        r.close()


def test_audio_clips_cover_every_letter_and_number():
    names = {p.stem for p in AUDIO.glob("*.ogg")}
    assert {"chime", "word-talon", "word-vikno"} <= names
    for translit in "z d p v n b a k r".split():
        assert f"letter-{translit}" in names
    numbers = set(range(1, 20)) | set(range(20, 100, 10)) | set(range(100, 1000, 100))
    assert {f"num-{n}" for n in numbers} <= names
    # the letters the catalogue actually uses all have a clip (board.js maps them)
    js = (ROOT / "static" / "display" / "board.js").read_text(encoding="utf-8")
    for letter, translit in zip("ЗДПВНБАКР", "zdpvnbakr"):
        assert f'"{letter}": "letter-{translit}"' in js
    assert sum(p.stat().st_size for p in AUDIO.iterdir()) < 3 * 1024 * 1024


def test_ticket_letters_in_use_have_clips(app):
    from queue_app.models import ServiceCategory
    js = (ROOT / "static" / "display" / "board.js").read_text(encoding="utf-8")
    letters = {c.letter for c in db.session.scalars(select(ServiceCategory))}
    letters |= {s.letter for s in db.session.scalars(select(Service)) if s.letter}
    for letter in letters:
        assert f'"{letter}": "letter-' in js, letter
