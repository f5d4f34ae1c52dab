"""Addresses handed to citizens (SMS, QR codes): always on PUBLIC_URL, never on the host a kiosk
happened to use to reach the server, which a phone outside the hall cannot open."""
from flask import current_app, url_for


def public_url(path: str) -> str:
    return current_app.config.get("PUBLIC_URL", "").rstrip("/") + path


def ticket_status_url(ticket_id: int) -> str:
    return public_url(url_for("ticket_page.ticket", ticket_id=ticket_id))
