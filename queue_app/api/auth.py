"""Bearer tokens for operators and other staff clients of the API."""
import time
from functools import lru_cache, wraps
from typing import NamedTuple

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from ..errors import ApiError
from ..extensions import core, db, limiter
from ..models import Staff
from . import bp
from .params import json_body, required_str


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="api-token")


def issue_token(staff: Staff) -> str:
    # The password hash's tail is signed in, so a password change revokes old tokens.
    return _serializer(current_app.config["SECRET_KEY"]).dumps({"id": staff.id, "pw": staff.password_hash[-12:]})


class TokenStaff(NamedTuple):
    """Whom a valid token speaks for: what the API's checks read, without loading the account (every
    operator's call pays for that load before the boards hear of it)."""
    id: int
    role: str
    office_id: int | None

    may_manage = Staff.may_manage  # the account's own rule, reading role and office_id alone


_STAFF = select(Staff.id, Staff.role, Staff.office_id, Staff.active, Staff.password_hash).where(
    Staff.id == bindparam("id"))


@lru_cache(maxsize=4096)
def _signed(secret: str, token: str) -> tuple[object, object, float] | None:
    """A token's account id, password tail and signing time, if `secret` signed it. An operator sends
    the same token with every call, and checking the signature costs more than the account's row:
    each token is checked once. Expiry is not cached: the caller compares the signing time."""
    try:
        data, signed_at = _serializer(secret).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    return (data.get("id"), data.get("pw"), signed_at.timestamp()) if isinstance(data, dict) else None


def staff_from_token(token: str) -> TokenStaff | None:
    signed = _signed(current_app.config["SECRET_KEY"], token)
    if signed is None or time.time() - signed[2] > current_app.config["API_TOKEN_MAX_AGE"]:
        return None
    staff_id, password_tail, _signed_at = signed
    row = core(_STAFF, {"id": staff_id}).one_or_none()
    if row is None or not row.active or row.password_hash[-12:] != password_tail:
        return None
    return TokenStaff(row.id, row.role, row.office_id)


def require_staff(*roles: str):
    """Decorator: a valid bearer token of an account with one of `roles` (any role if none given)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            staff = staff_from_token(header[7:]) if header.startswith("Bearer ") else None
            if staff is None:
                raise ApiError(401, "not_authenticated", _("Потрібен дійсний токен доступу."))
            if roles and staff.role not in roles:
                raise ApiError(403, "forbidden", _("Ця дія недоступна для вашої ролі."))
            g.staff = staff
            return view(*args, **kwargs)
        return wrapped
    return decorate


@bp.post("/auth/token")
@limiter.limit("10 per minute")
def token():
    body = json_body()
    username, password = required_str(body, "username", 80), required_str(body, "password", 200)
    staff = db.session.scalar(select(Staff).where(Staff.username == username))
    if staff is None or not staff.active or not staff.check_password(password):
        raise ApiError(401, "bad_credentials", _("Неправильне ім'я користувача або пароль."))
    return jsonify(token=issue_token(staff))
