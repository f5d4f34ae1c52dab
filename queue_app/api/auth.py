"""Bearer tokens for operators and other staff clients of the API."""
from functools import wraps
from typing import NamedTuple

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from ..errors import ApiError
from ..extensions import core, db, limiter
from ..models import Staff
from . import bp
from .params import json_body, required_str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(staff: Staff) -> str:
    # The password hash's tail is signed in, so a password change revokes old tokens.
    return _serializer().dumps({"id": staff.id, "pw": staff.password_hash[-12:]})


class TokenStaff(NamedTuple):
    """Whom a valid token speaks for: what the API's checks read, without loading the account (every
    operator's call pays for that load before the boards hear of it)."""
    id: int
    role: str
    office_id: int | None

    may_manage = Staff.may_manage  # the account's own rule, reading role and office_id alone


_STAFF = select(Staff.id, Staff.role, Staff.office_id, Staff.active, Staff.password_hash).where(
    Staff.id == bindparam("id"))


def staff_from_token(token: str) -> TokenStaff | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    row = core(_STAFF, {"id": data.get("id")}).one_or_none() if isinstance(data, dict) else None
    if row is None or not row.active or row.password_hash[-12:] != data.get("pw"):
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
