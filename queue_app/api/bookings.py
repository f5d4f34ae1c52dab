"""Slots and bookings of the contract."""
from flask import jsonify, request, url_for

from ..bookings import (available_slots, cancel_booking, clean_name, create_booking, find_booking, normalise_phone,
                        verify_phone)
from ..extensions import limiter
from . import bp
from .params import json_body, office_or_404, parse_date, parse_time, required_str, service_or_404


def _hhmm(t) -> str:
    return t.strftime("%H:%M")


def booking_json(b, token: str | None = None) -> dict:
    body = {"code": b.code, "office": b.office.code, "service": b.service.code, "date": b.day.isoformat(),
            "start": _hhmm(b.start), "end": _hhmm(b.end), "status": b.status}
    if token is not None:
        body["manage_token"] = token
        body["manage_url"] = url_for("api.get_booking", code=b.code, token=token, _external=False)
        body["manage_page"] = url_for("booking.manage", code=b.code, t=token, _external=False)
        if b.status == "held":
            body["hold_expires_at"] = b.hold_expires_at.isoformat()
    return body


@bp.get("/offices/<code>/slots")
@limiter.limit("120 per minute")
def slots(code: str):
    office = office_or_404(code)
    service = service_or_404(request.args.get("service"), status=404 if "service" in request.args else 400)
    d = parse_date(request.args.get("date"), "date")
    rows = [s for s in available_slots(office, service, d) if s.free > 0]
    return jsonify({"office": office.code, "service": service.code, "date": d.isoformat(),
                    "slots": [{"start": _hhmm(s.start), "end": _hhmm(s.end), "free": s.free} for s in rows]})


@bp.post("/bookings")
@limiter.limit("20 per hour; 5 per minute")
def post_booking():
    body = json_body()
    office = office_or_404(required_str(body, "office", 40))
    service = service_or_404(required_str(body, "service", 40), status=422)
    d = parse_date(required_str(body, "date", 10), "date")
    start = parse_time(required_str(body, "start", 5), "start")
    name, phone = clean_name(body.get("name")), normalise_phone(body.get("phone"))
    booking, token = create_booking(office, service, d, start, name, phone)
    return jsonify(booking_json(booking, token)), 201


@bp.get("/bookings/<code>")
@limiter.limit("60 per minute")
def get_booking(code: str):
    b = find_booking(code, request.args.get("token"))
    return jsonify(booking_json(b))


@bp.delete("/bookings/<code>")
@limiter.limit("30 per hour")
def delete_booking(code: str):
    cancel_booking(find_booking(code, request.args.get("token")))
    return "", 204


@bp.post("/bookings/<code>/verify")
@limiter.limit("10 per hour")
def verify_booking(code: str):
    """With BOOKING_VERIFY_PHONE on, a new booking is "held" until the code from the SMS comes back here."""
    b = find_booking(code, request.args.get("token"))
    verify_phone(b, required_str(json_body(), "sms_code", 10))
    return jsonify(booking_json(b))


