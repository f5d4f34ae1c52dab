"""The floor of the board latency benchmark: a Flask-SocketIO app that does nothing but broadcast.

Served exactly like the real app (`gunicorn -k gevent -w 1 bench.floor_server:app`), it has the
/board namespace of the contract: a client connecting with ?office=CODE joins the room office:CODE and
gets a small `state`; `POST /call?office=CODE` emits `called` to that room with the JSON body it was
sent (the benchmark sends a payload taken from the real app, so both servers send the same bytes),
its `ticket_id` set to a running counter, which the response returns.
"""
import itertools

from gevent import monkey

monkey.patch_all()

from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
app.json.ensure_ascii = False
socketio = SocketIO(app, async_mode="gevent", cors_allowed_origins=[])
_ids = itertools.count(1)
DEFAULT = {"number": "В-001", "window": 1, "service": "pickup",
           "called_at": "2026-11-24T11:00:00.000000+02:00", "ticket_id": 0}


@socketio.on("connect", namespace="/board")
def board_connect(_auth=None):
    office = request.args.get("office", "")
    if not office:
        return False
    join_room(f"office:{office}")
    socketio.emit("state", {"office": office, "calls": []}, to=request.sid, namespace="/board")


@app.post("/call")
def call():
    payload = dict(request.get_json(silent=True) or DEFAULT)
    payload["ticket_id"] = next(_ids)
    socketio.emit("called", payload, to=f"office:{request.args.get('office', 'main')}", namespace="/board")
    return jsonify(ticket_id=payload["ticket_id"])


@app.get("/healthz")
def healthz():
    return "ok"
