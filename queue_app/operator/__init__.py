"""The operator's workstation: choose a window, then call, serve and hand on tickets."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select, update

from ..api.auth import issue_token
from ..extensions import db
from ..i18n import loc
from ..models import Office, PriorityCategory, Service, Window
from ..staff_auth import roles_required

bp = Blueprint("operator", __name__, url_prefix="/operator")
STAFF = ("operator", "manager", "admin")


@bp.get("/")
@roles_required(*STAFF)
def choose():
    query = select(Office).order_by(Office.id)
    if current_user.role != "admin":
        query = query.where(Office.id == current_user.office_id)
    return render_template("operator/choose.html", offices=db.session.scalars(query).all())


@bp.post("/window/<int:window_id>/take")
@roles_required(*STAFF)
def take(window_id: int):
    window = db.session.get(Window, window_id) or abort(404)
    if not current_user.may_manage(window.office):
        abort(403)
    # One operator, one window: leave any other window first.
    db.session.execute(update(Window).where(Window.staff_id == current_user.id).values(staff_id=None))
    window.staff_id = current_user.id
    db.session.commit()
    return redirect(url_for("operator.workstation", window_id=window.id))


@bp.get("/window/<int:window_id>")
@roles_required(*STAFF)
def workstation(window_id: int):
    window = db.session.get(Window, window_id) or abort(404)
    if not current_user.may_manage(window.office):
        abort(403)
    services = db.session.scalars(select(Service).order_by(Service.code)).all()
    priorities = [{"code": p.code, "name": loc(p)}
                  for p in db.session.scalars(select(PriorityCategory).where(PriorityCategory.active)
                                              .order_by(PriorityCategory.id))]
    return render_template("operator/workstation.html", window=window, office=window.office,
                           token=issue_token(current_user), services=services, priorities=priorities)
