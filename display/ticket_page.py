"""The citizen's live ticket page /t/<id>: the number, the status and, when called, the window.

Rendered server-side with what the database says now; static/display/ticket.js keeps it live over
the Socket.IO namespace /ticket and polls GET /api/v1/tickets/<id> every 20 s as a fallback.
"""
from flask import Blueprint, abort, render_template

from queue_app.extensions import db
from queue_app.i18n import loc
from queue_app.models import Ticket
from queue_app.realtime import ticket_json

ticket_bp = Blueprint("ticket_page", __name__)


@ticket_bp.get("/t/<int:ticket_id>")
def ticket(ticket_id: int):
    t = db.session.get(Ticket, ticket_id)
    if t is None:
        abort(404)
    initial = ticket_json(t)  # the message the API and the socket send, position and wait included
    response = render_template("ticket/ticket.html", ticket=t, initial=initial, service_name=loc(t.service),
                               office_name=loc(t.office))
    return response, 200, {"Cache-Control": "no-store"}
