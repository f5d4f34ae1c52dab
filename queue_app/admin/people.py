"""Staff accounts and their skills. Admins manage every account; a manager only the operators of
their own office (never a manager or admin account, never another office)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..errors import MAX_ROW_ID
from ..extensions import db
from ..models import Office, OfficeService, Service, Staff
from . import bp
from .access import audit, is_admin, visible_offices
from .forms import StaffForm

ROLE_NAMES = {"operator": _l("оператор"), "manager": _l("керівник офісу"), "admin": _l("адміністратор центру")}


def _error(field, message: str) -> None:
    field.errors = [*field.errors, message]


def _may_edit(staff: Staff) -> bool:
    return is_admin() or (staff.role == "operator" and staff.office_id == current_user.office_id)


@bp.get("/staff")
def staff_list():
    query = select(Staff).order_by(Staff.office_id, Staff.username)
    if not is_admin():
        query = query.where(Staff.office_id == current_user.office_id)
    return render_template("admin/staff_list.html", rows=db.session.scalars(query).all(), roles=ROLE_NAMES,
                           may_edit=_may_edit, offices={o.id: o for o in visible_offices()})


def _form(staff: Staff | None) -> StaffForm:
    form = StaffForm(obj=staff)
    offices = visible_offices()
    form.office_id.choices = ([(0, _("— (увесь центр)"))] if is_admin() else []) + [(o.id, o.name) for o in offices]
    if not is_admin():
        form.role.choices = [("operator", _("Адміністратор вікна (оператор)"))]
    services = db.session.scalars(select(Service).order_by(Service.code)).all()
    form.skills.choices = [(s.id, f"{s.code} — {s.name[:60]}") for s in services]
    if request.method == "GET":
        form.office_id.data = (staff.office_id if staff else current_user.office_id) or 0
        form.skills.data = [s.id for s in staff.skills] if staff else []
    return form


def _save(staff: Staff | None):
    if staff is not None and not _may_edit(staff):
        abort(403)
    form = _form(staff)
    valid = form.validate_on_submit()
    if form.is_submitted():  # the checks below run even when a field failed: all mistakes at once
        office_id = form.office_id.data  # checked against the choices only at validation: may be made up
        office = db.session.get(Office, office_id) if office_id and 0 < office_id <= MAX_ROW_ID else None
        clash = db.session.scalar(select(Staff).where(Staff.username == form.username.data))
        errors = False
        if clash is not None and clash is not staff:
            _error(form.username, _("Такий користувач уже є."))
            errors = True
        if form.role.data != "admin" and office is None:
            _error(form.office_id, _("Оператор і керівник належать до офісу: оберіть офіс."))
            errors = True
        if office is not None and not current_user.may_manage(office):
            abort(403)
        if staff is None and not form.password.data:
            _error(form.password, _("Задайте пароль нового облікового запису (щонайменше 8 символів)."))
            errors = True
        if staff is not None and staff.id == current_user.id and (not form.active.data or form.role.data != staff.role):
            _error(form.active, _("Власну роль змінити або вимкнути власний обліковий запис не можна."))
            errors = True
        if office is not None and form.skills.data:
            offered = set(db.session.scalars(select(OfficeService.service_id)
                                             .where(OfficeService.office_id == office.id)))
            if not set(form.skills.data) <= offered:
                _error(form.skills, _("Серед навичок є послуги, яких цей офіс не надає."))
                errors = True
        if valid and not errors:
            new = staff is None
            if new:
                staff = Staff(username=form.username.data, role=form.role.data)
                staff.set_password(form.password.data)
                db.session.add(staff)
            old = {"username": staff.username, "role": staff.role, "office": staff.office_id, "active": staff.active,
                   "skills": sorted(s.code for s in staff.skills)} if not new else {}
            staff.username, staff.role = form.username.data, form.role.data
            staff.office_id = office.id if office else None
            staff.active = form.active.data
            with db.session.no_autoflush:
                staff.skills = list(db.session.scalars(select(Service).where(Service.id.in_(form.skills.data or []))))
            if form.password.data:
                staff.set_password(form.password.data)
            db.session.flush()
            now = {"username": staff.username, "role": staff.role, "office": staff.office_id, "active": staff.active,
                   "skills": sorted(s.code for s in staff.skills)}
            changes = {k: [old.get(k), v] for k, v in now.items() if old.get(k) != v}
            if form.password.data:
                changes["password"] = ["***", "***"]  # that it changed, never the value
            if changes:
                audit("create" if new else "update", "staff", staff.id,
                      f"{'Створено' if new else 'Змінено'} обліковий запис {staff.username}", staff.office_id, changes)
            db.session.commit()
            flash(_("Обліковий запис збережено."), "ok")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff.html", staff=staff, form=form), 200 if not form.errors else 422


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new():
    return _save(None)


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
def staff_edit(staff_id: int):
    return _save(db.session.get(Staff, staff_id) or abort(404))
