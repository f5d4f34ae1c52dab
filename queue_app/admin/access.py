"""Who may see and change what in /admin, and the audit trail of every change.

An `admin` manages the whole centre; a `manager` only the office of their account (Staff.office_id);
operators never enter /admin (403). Centre-wide things (the service catalogue, priority categories,
centre-wide closures, the centre's retention period) are for admins only.
"""
from datetime import date, datetime, time

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import AuditLog, Office

ADMIN_ROLES = ("manager", "admin")


def is_admin() -> bool:
    return current_user.is_authenticated and current_user.role == "admin"


def require_admin() -> None:
    if not is_admin():
        abort(403)


def visible_offices() -> list[Office]:
    query = select(Office).order_by(Office.id)
    if not is_admin():
        query = query.where(Office.id == current_user.office_id)
    return list(db.session.scalars(query).all())


def require_office(office: Office | None) -> Office:
    """404 for an unknown office, 403 for one the current account does not manage."""
    if office is None:
        abort(404)
    if not current_user.may_manage(office):
        abort(403)
    return office


def office_by_code(code: str) -> Office:
    return require_office(db.session.scalar(select(Office).where(Office.code == code)))


def _plain(value):
    """A value as the audit log stores it (JSON-safe, short)."""
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def apply(obj, values: dict) -> dict:
    """Set the attributes that differ; returns {name: [old, new]} of what changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


def audit(action: str, entity: str, entity_id, summary: str, office_id: int | None = None,
          changes: dict | None = None) -> AuditLog:
    """Add the entry to the session: it is committed with the change it describes, or not at all.
    Never put a citizen's name or phone here. The summary is a stored record, written in Ukrainian whatever
    the language of the page (not translated, so the log reads the same for everyone)."""
    entry = AuditLog(staff_id=current_user.id, username=current_user.username, office_id=office_id,
                     action=action, entity=entity, entity_id=None if entity_id is None else str(entity_id),
                     summary=summary[:500], changes=changes or {})
    db.session.add(entry)
    return entry
