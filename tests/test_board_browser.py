"""End to end in a real browser: the hall board, a window display and a ticket page follow calls made
through the API of a real server (gunicorn + gevent, the production setup).

Debian's Chromium (/usr/bin/chromium) is launched through pytest-playwright's `playwright` fixture; no
browser is downloaded.
Set SKIP_BROWSER=1 to skip. SAVE_SCREENSHOTS=1 writes docs/screenshots/board-{landscape,portrait}.png.

The server's clock starts at a reception hour of the main office (QUEUE_FAKE_NOW, see queue_app/clock.py),
so tickets can be issued whatever the time of day the suite runs.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
FAKE_NOW = "2026-11-24T11:00:00+02:00"  # a Tuesday, 11:00 in Kryvyi Rih: the main office takes walk-ins

pytestmark = pytest.mark.skipif(os.environ.get("SKIP_BROWSER") == "1", reason="SKIP_BROWSER=1")


LAUNCH_ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def kiosk_browser(playwright):
    """Debian's Chromium, never a downloaded one, with autoplay allowed as on the kiosk devices.

    A browser of this module's own: pytest-playwright's session-wide `browser` may already have been
    launched by another module without the autoplay flag."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield browser
    browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def server(database_url, tmp_path):
    """A real server on a free port, on this test's own database, with operator op1 and manager boss1 of
    the main office."""
    env = {**os.environ, "DATABASE_URL": database_url, "QUEUE_FAKE_NOW": FAKE_NOW, "PYTHONUNBUFFERED": "1"}
    for username, role in (("op1", "operator"), ("boss1", "manager")):
        made = _run([str(VENV_BIN / "flask"), "--app", "wsgi", "user", "create", username, "--password",
                     "secret-pass", "--role", role, "--office", "main"], env)
        assert made.returncode == 0, made.stderr + made.stdout
    port = _free_port()
    log = open(tmp_path / "server.log", "w+")
    proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
                             "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or the worker still loading
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("the server did not start:\n" + log.read()[-4000:])
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.seek(0)
        tail = log.read()[-3000:]
        log.close()
        if "Traceback" in tail:
            print("server log tail:\n" + tail)


class Api:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.token = None

    def issue(self, service: str = "pickup") -> requests.Response:
        return self.http.post(f"{self.base}/api/v1/offices/main/tickets", json={"service": service}, timeout=10)

    def login(self, username: str = "op1") -> str:
        r = self.http.post(f"{self.base}/api/v1/auth/token", json={"username": username, "password": "secret-pass"},
                           timeout=10)
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return self.token

    def office_pause(self, action: str, token: str, reason: str | None = None) -> None:
        r = self.http.post(f"{self.base}/api/v1/offices/main/{action}", json={"reason": reason} if reason else {},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 200, (r.status_code, r.text)

    def windows_for(self, service: str) -> list[dict]:
        r = self.http.get(f"{self.base}/api/v1/offices/main/windows", timeout=10)
        assert r.status_code == 200, r.text
        return [w for w in r.json() if service in w["services"]]

    def call_next(self, window_id: int) -> dict:
        r = self.http.post(f"{self.base}/api/v1/windows/{window_id}/call-next",
                           headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()["ticket"]


DENY_AUTOPLAY = """
window.__denyAudio = true;
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  if (window.__denyAudio) return Promise.reject(new DOMException("autoplay denied", "NotAllowedError"));
  return realPlay.call(this);
};
"""


def _issue_or_skip(api: Api) -> dict:
    r = api.issue()
    if r.status_code in (404, 405):
        pytest.skip("POST /api/v1/offices/main/tickets is not implemented yet")
    assert r.status_code == 201, r.text
    return r.json()


def _played(page, number: str):
    return page.evaluate("n => window.boardAudio.played.filter(e => e.number === n)", number)


def test_board_shows_and_announces_calls(server, kiosk_browser, tmp_path):
    browser = kiosk_browser
    api = Api(server)
    errors: list[str] = []

    # bypass_csp: wait_for_function evaluates its predicate with eval, which the app's Content-Security-Policy
    # refuses; test_security.py::test_every_screen_runs_under_the_policy checks these screens under the policy.
    board = browser.new_page(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
    board.on("pageerror", lambda e: errors.append(f"board: {e}"))
    board.goto(f"{server}/display/main")
    assert board.title().startswith("Табло")
    board.wait_for_function("window.boardState && window.boardState.connected && window.boardState.stateCount > 0",
                            timeout=15000)
    assert board.locator("#current-empty").is_visible()
    # board.js speaks every number 1–999 as the Ukrainian clips compose it (123 → сто, двадцять, три)
    spoken = board.evaluate("[...Array(999).keys()].map(i => window.boardAudio.numberClips(i + 1))")
    assert spoken == [[f"num-{w}" for w in _number_words(n)] for n in range(1, 1000)]

    first = _issue_or_skip(api)
    api.login()
    windows = api.windows_for("pickup")
    assert len(windows) >= 2, windows
    win_a, win_b = windows[0], windows[1]

    # The window display of window B and the citizen's page of the first ticket, open before the calls.
    display = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
    display.on("pageerror", lambda e: errors.append(f"window: {e}"))
    display.goto(f"{server}/display/window/{win_b['id']}")
    display.wait_for_function("window.windowState && window.windowState.connected", timeout=15000)
    assert display.locator("#window-idle").is_visible()

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="uk-UA",
                             bypass_csp=True)
    phone.on("pageerror", lambda e: errors.append(f"ticket: {e}"))
    phone.goto(f"{server}/t/{first['id']}")
    assert phone.locator("#t-number").inner_text() == first["number"]
    phone.wait_for_function("document.getElementById('t-status').textContent.includes('Очікуєте')", timeout=10000)
    phone.wait_for_function("!document.getElementById('t-position').hidden", timeout=10000)
    assert phone.locator("#t-position").inner_text() == "Ви наступні"
    phone.screenshot(path=str(tmp_path / "ticket-waiting.png"))

    # --- the first call: window A -----------------------------------------------------------
    called = api.call_next(win_a["id"])
    assert called["number"] == first["number"] and called["window"] == win_a["number"]
    board.wait_for_function(
        "n => document.getElementById('current-number').textContent === n", arg=first["number"], timeout=10000)
    assert board.locator("#current-window").inner_text() == str(win_a["number"])
    assert board.locator("#calls-body tr").first.locator("td").first.inner_text() == first["number"]
    board.wait_for_function("n => window.boardAudio.played.some(e => e.number === n)", arg=first["number"],
                            timeout=15000)
    entry = _played(board, first["number"])[0]
    assert entry["window"] == win_a["number"]
    clips = entry["clips"]
    names = [c.rsplit("/", 1)[1] for c in clips]
    assert names[0] == "chime.ogg" and names[1] == "word-talon.ogg", names
    assert "letter-r.ogg" in names  # pickup tickets are Р-…
    window_clips = names[names.index("word-vikno.ogg") + 1:]
    assert window_clips == [f"num-{n}.ogg" for n in _number_words(win_a["number"])], names
    seq = int(first["number"].split("-")[1])
    assert names[3:names.index("word-vikno.ogg")] == [f"num-{n}.ogg" for n in _number_words(seq)], names
    assert all(c.startswith("/static/audio/") for c in clips)
    # The clips exist and the queue moves on: the announcement finishes (ended, or the safety timeout).
    for c in set(clips):
        assert requests.get(server + c, timeout=5).status_code == 200, c
    board.wait_for_function("n => window.boardAudio.played.some(e => e.number === n && e.status === 'done')",
                            arg=first["number"], timeout=30000)

    # The citizen's phone shows the window.
    phone.wait_for_function("() => !document.getElementById('t-call').hidden", timeout=25000)
    assert phone.locator("#t-call-window").inner_text() == str(win_a["number"])
    assert "Вас запрошено" in phone.locator("#t-status").inner_text()
    phone.screenshot(path=str(tmp_path / "ticket-called.png"))
    # A poll answered late with the snapshot of before the call (a lower revision) does not undo it.
    now_json = requests.get(f"{server}/api/v1/tickets/{first['id']}", timeout=5).json()
    stale = {**now_json, "status": "waiting", "window": None, "position": 1, "rev": now_json["rev"] - 1}
    phone.route(f"**/api/v1/tickets/{first['id']}", lambda route: route.fulfill(json=stale))
    with phone.expect_response(f"**/api/v1/tickets/{first['id']}"):
        phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    phone.evaluate("new Promise(done => setTimeout(done, 200))")  # the answer's handlers have run
    assert phone.locator("#t-call").is_visible() and phone.evaluate("window.ticketState.status") == "called"
    phone.unroute(f"**/api/v1/tickets/{first['id']}")

    # A second board whose browser refuses autoplay (as a desktop browser would, without a click).
    muted = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
    muted.on("pageerror", lambda e: errors.append(f"muted board: {e}"))
    muted.add_init_script(DENY_AUTOPLAY)
    muted.goto(f"{server}/display/main")
    muted.wait_for_function("window.boardState.connected && window.boardState.stateCount > 0", timeout=15000)
    assert muted.locator("#board-sound").is_hidden()

    # --- two calls in quick succession: announcements queue up, never overlap ------------------
    second, third = _issue_or_skip(api), _issue_or_skip(api)
    api.call_next(win_b["id"])
    api.call_next(win_a["id"])  # finishes the first ticket at A, calls the next waiting one
    board.wait_for_function("n => document.getElementById('current-number').textContent === n",
                            arg=third["number"], timeout=10000)
    rows = board.locator("#calls-body tr td:first-child").all_inner_texts()
    assert rows[:3] == [third["number"], second["number"], first["number"]]
    board.wait_for_function("n => window.boardAudio.played.some(e => e.number === n && e.status === 'done')",
                            arg=third["number"], timeout=40000)
    done = board.evaluate("window.boardAudio.played.map(e => [e.number, e.window, e.started_at, e.finished_at])")
    assert [d[0] for d in done] == [first["number"], second["number"], third["number"]]
    for earlier, later in zip(done, done[1:]):
        assert earlier[3] <= later[2], done  # the next starts only after the previous finished
    assert board.evaluate("window.boardAudio.queue.length") == 0

    print("clip problems:", board.evaluate("window.boardAudio.played.map(e => e.errors || [])"))

    # The muted board shows the calls, offers «Увімкнути звук», and speaks once it is clicked.
    muted.wait_for_function("n => document.getElementById('current-number').textContent === n",
                            arg=third["number"], timeout=10000)
    muted.locator("#board-sound").wait_for(state="visible", timeout=10000)
    assert muted.locator("#board-sound").inner_text() == "Увімкнути звук"
    assert muted.evaluate("window.boardAudio.played.length") == 0
    assert muted.evaluate("window.boardAudio.queue.map(e => e.number)") == [second["number"], third["number"]]
    muted.evaluate("window.__denyAudio = false")
    muted.locator("#board-sound").click()
    assert muted.locator("#board-sound").is_hidden()
    muted.wait_for_function("n => window.boardAudio.played.some(e => e.number === n && e.status === 'done')",
                            arg=third["number"], timeout=40000)
    assert muted.evaluate("window.boardAudio.played.map(e => e.number)") == [second["number"], third["number"]]
    muted.close()

    # The window display of B shows the second ticket.
    display.wait_for_function("n => document.getElementById('window-number').textContent === n",
                              arg=second["number"], timeout=10000)
    assert display.locator("#window-idle").is_hidden()
    display.wait_for_timeout(5600)
    display.screenshot(path=str(tmp_path / "window-display.png"))

    # --- a reconnect resyncs from `state` -------------------------------------------------------
    board.evaluate("window.boardState.socket.disconnect()")
    board.wait_for_timeout(1800)
    assert board.locator("#board-offline").is_visible()
    board.evaluate("window.boardState.socket.connect()")
    board.wait_for_function("window.boardState.connected", timeout=10000)
    assert board.locator("#board-offline").is_hidden()
    assert board.locator("#calls-body tr td:first-child").all_inner_texts()[:3] == rows[:3]

    # --- a few more calls for the screenshots -----------------------------------------------------
    more = [windows[(2 + i) % len(windows)] for i in range(6)]  # eight calls in all: a full list
    for w in more:
        _issue_or_skip(api)
        api.call_next(w["id"])
    last = board.evaluate("window.boardAudio.played.length")
    board.wait_for_function("k => document.querySelectorAll('#calls-body tr').length >= k",
                            arg=min(8, 3 + len(more)), timeout=10000)
    board.wait_for_timeout(5600)  # let the blinking finish for a steady picture
    out = SCREENSHOTS if os.environ.get("SAVE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    board.screenshot(path=str(out / "board-landscape.png"))
    board.set_viewport_size({"width": 1080, "height": 1920})
    board.wait_for_timeout(300)
    board.screenshot(path=str(out / "board-portrait.png"))
    _assert_fits(board)
    board.set_viewport_size({"width": 1920, "height": 1080})
    _assert_fits(board)
    assert last >= 3

    # --- an office-wide pause (air-raid alert): a full-screen notice until `resumed` -------------
    boss = Api(server).login("boss1")
    assert board.locator("#board-paused").is_hidden()
    api.office_pause("pause", boss, "Повітряна тривога")
    board.wait_for_function("!document.getElementById('board-paused').hidden", timeout=10000)
    assert board.locator("#board-paused-reason").inner_text() == "Повітряна тривога"
    assert "Прийом тимчасово призупинено" in board.locator("#board-paused").inner_text()
    display.wait_for_function("!document.getElementById('board-paused').hidden", timeout=10000)
    api.office_pause("resume", boss)
    board.wait_for_function("document.getElementById('board-paused').hidden", timeout=10000)
    display.wait_for_function("document.getElementById('board-paused').hidden", timeout=10000)

    assert not errors, errors
    for p in (board, display, phone):
        p.close()


def _assert_fits(page) -> None:
    """Nothing of the board is cut off: the newest call and the list lie inside the viewport."""
    box = page.evaluate("""() => {
        const r = el => el.getBoundingClientRect();
        const v = {w: innerWidth, h: innerHeight};
        const parts = ['current-number', 'current-window', 'calls-body', 'clock-time']
            .map(id => r(document.getElementById(id)));
        return {v, parts: parts.map(p => [p.left, p.top, p.right, p.bottom])};
    }""")
    for left, top, right, bottom in box["parts"]:
        assert left >= 0 and top >= 0 and right <= box["v"]["w"] + 1 and bottom <= box["v"]["h"] + 1, box


def _number_words(n: int) -> list[int]:
    """The clips that speak n (1–999), as board.js composes them: 123 → 100, 20, 3."""
    out = []
    if n >= 100:
        out.append(n // 100 * 100)
    rest = n % 100
    if rest >= 20:
        out.append(rest // 10 * 10)
        if rest % 10:
            out.append(rest % 10)
    elif rest:
        out.append(rest)
    return out
