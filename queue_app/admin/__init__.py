"""Administration of the centre (/admin): offices, windows, services, schedules, staff, plans,
the live dashboard and reports. Admins see the whole centre, managers their own office; operators
get 403. Every change is validated by a Flask-WTF form (with its CSRF token) and written to the
audit log (models.AuditLog) in the same transaction.
"""
from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from .access import ADMIN_ROLES

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _staff_only():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in ADMIN_ROLES:
        abort(403)
    return None


@bp.after_request
def _no_store(response):
    # Admin pages are per account and may show (masked) personal data: never kept by a proxy.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_filter("admin_kyiv")
def _kyiv(ts) -> str:
    from scheduling import KYIV
    return ts.astimezone(KYIV).strftime("%d.%m.%Y %H:%M") if ts else ""


from . import catalogue, dashboard, offices, people, plans, report_views, schedules  # noqa: E402,F401

__all__ = ["bp"]
