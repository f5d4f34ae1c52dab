"""Public screens: the hall board of an office and the small display over each window.

Both pages are shells rendered server-side (office name, window number); the live data arrives over
the Socket.IO namespace /board (see static/display/board.js and window.js).
"""
from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale
from sqlalchemy import select

from queue_app.extensions import db
from queue_app.i18n import loc
from queue_app.models import Office, Window

bp = Blueprint("display", __name__, url_prefix="/display")


def _screen_locale() -> str:
    """Screens hang in a Ukrainian hall: Ukrainian whatever the kiosk browser's language, unless ?lang=en."""
    return "en" if request.args.get("lang") == "en" else "uk"


@bp.get("/<office_code>")
def board(office_code: str):
    office = db.session.scalar(select(Office).where(Office.code == office_code))
    if office is None:
        abort(404)
    with force_locale(_screen_locale()):
        return render_template("display/board.html", office=office, office_name=loc(office))


@bp.get("/window/<int:window_id>")
def window(window_id: int):
    win = db.session.get(Window, window_id)
    if win is None:
        abort(404)
    with force_locale(_screen_locale()):
        return render_template("display/window.html", window=win, office=win.office,
                               office_name=loc(win.office))


@bp.after_request
def _no_store(response):
    # Boards run for days: never let a proxy or the kiosk browser serve a stale shell.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


from .ticket_page import ticket_bp  # noqa: E402  (the second blueprint: /t/<id>)

__all__ = ["bp", "ticket_bp"]
