"""The direct broadcast (queue_app/broadcast.py): one frame written to every websocket, the ordinary path
for the rest, the order of each client's messages kept. Against a real gunicorn server too."""
import json
import threading
import time

import gevent.socket
import pytest
import requests
import socketio
import websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate

from queue_app import broadcast
from queue_app.extensions import socketio as server_socketio

from .conftest import LiveServer, make_app
from .test_realtime import _flask


@pytest.mark.parametrize("text", ["4", "42/board,[\"called\",{\"number\":\"В-001\"}]", "Ї" * 200, "x" * 70_000])
def test_a_frame_is_read_back_by_a_client_that_asked_for_compression(text):
    """The frame is built by hand (RFC 6455): a websocket client, one that negotiated permessage-deflate as
    browsers do, must read it as the very text (lengths of one, two and eight bytes)."""
    client, server = WSConnection(ConnectionType.CLIENT), WSConnection(ConnectionType.SERVER)
    server.receive_data(client.send(Request(host="board", target="/", extensions=[PerMessageDeflate()])))
    next(server.events())
    client.receive_data(server.send(AcceptConnection(extensions=[PerMessageDeflate()])))
    next(client.events())
    client.receive_data(broadcast.text_frame(text))
    got = list(client.events())
    assert len(got) == 1 and isinstance(got[0], TextMessage) and got[0].data == text and got[0].message_finished


class _Ws:
    def __init__(self, sock):
        self.sock, self.connected = sock, True


def _direct(sock) -> broadcast.DirectWebSocket:
    direct = broadcast.DirectWebSocket(lambda ws: None, None)
    direct.ws = _Ws(sock)
    return direct


def _drain(sock) -> bytes:
    sock.setblocking(False)
    out = b""
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def test_a_frame_goes_only_to_an_idle_connection_and_whole():
    ours, theirs = gevent.socket.socketpair()
    direct = _direct(ours)
    frame = broadcast.text_frame("42/board,[\"called\",{}]")
    assert direct.write_frame(frame) is True
    assert _drain(theirs) == frame

    with direct.lock:  # the engine.io writer is sending: the emit must take the queue instead
        assert direct.write_frame(frame) is False
    assert _drain(theirs) == b""

    ours.setblocking(False)  # fill the kernel's buffer as a board that stopped reading would
    for size in (65536, 1):
        while True:
            try:
                ours.send(b"\0" * size)
            except BlockingIOError:
                break
    assert direct.write_frame(frame) is False  # a full buffer: not written, not waited for
    assert not direct.lock.locked()
    assert set(_drain(theirs)) == {0}  # the filler alone: not a byte of the frame went out
    ours.close()
    theirs.close()


def test_installed_for_gevent_servers_only(database_url):
    threaded = make_app(database_url)
    assert broadcast.install(server_socketio.server) is False  # threading mode: the ordinary path
    assert threaded.extensions["socketio"].server.eio._async["websocket"] is not broadcast.DirectWebSocket
    make_app(database_url, SOCKETIO_ASYNC_MODE="gevent")
    server = server_socketio.server
    assert server.manager.direct is True
    assert server.eio._async["websocket"] is broadcast.DirectWebSocket


class _RawBoard:
    """A board on the websocket transport only (websocket-client: no compression), reading in a thread."""

    def __init__(self, url: str):
        self.ws = websocket.create_connection(url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
                                              "&office=main", timeout=10)
        assert self.ws.recv().startswith("0")
        self.ws.send("40/board,")
        self.events: list[tuple[str, dict]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                msg = self.ws.recv()
            except Exception:  # noqa: BLE001 - closed at the end of the test
                return
            if msg == "2":
                self.ws.send("3")
            elif msg.startswith("42/board,"):
                name, data = json.loads(msg[len("42/board,"):])
                self.events.append((name, data))


def test_every_board_gets_every_call_once_and_in_order(database_url):
    """Websocket boards (the direct path) and a board that starts on long polling (the ordinary path) see
    the same calls, recalls and releases, each once, in the order they were made."""
    _flask(database_url, "user", "create", "op1", "--password", "secret-pass", "--role", "operator", "--office", "main")
    server = LiveServer(database_url, QUEUE_FAKE_NOW="2026-11-24T11:00:00+02:00")
    boards = []
    try:
        boards = [_RawBoard(server.url) for _ in range(5)]
        polling, polled = socketio.Client(), []
        polling.on("*", lambda name, data: polled.append((name, data)), namespace="/board")
        polling.connect(server.url + "?office=main", namespaces=["/board"], transports=["polling", "websocket"])
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + http.post(
            server.url + "/api/v1/auth/token", json={"username": "op1", "password": "secret-pass"}).json()["token"]
        window = next(w for w in http.get(server.url + "/api/v1/offices/main/windows").json()
                      if "pickup" in w["services"])
        for _ in range(3):
            assert http.post(server.url + "/api/v1/offices/main/tickets", json={"service": "pickup"}).status_code == 201
        made = []
        for _ in range(3):
            ticket = http.post(f"{server.url}/api/v1/windows/{window['id']}/call-next").json()["ticket"]
            made.append(("called", ticket["id"], False))
            http.post(f"{server.url}/api/v1/tickets/{ticket['id']}/recall")
            made.append(("called", ticket["id"], True))
        deadline = time.monotonic() + 10
        sequences = []
        while time.monotonic() < deadline:
            sequences = [[(n, d["ticket_id"], d.get("recall", False)) for n, d in b.events if n == "called"]
                         for b in boards]
            sequences.append([(n, d["ticket_id"], d.get("recall", False)) for n, d in polled if n == "called"])
            if all(len(s) >= len(made) for s in sequences):
                break
            time.sleep(0.05)
        assert all(s == made for s in sequences), sequences
        assert all(b.events[0][0] == "state" for b in boards)
        polling.disconnect()
    finally:
        for b in boards:
            b.ws.close()
        server.stop()
