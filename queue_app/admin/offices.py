"""Offices: their settings, the office-wide pause, windows and the services each serves, the terms of
each service in the office (bookable, walk-in share, daily cap, last ticket), kiosks and boards,
the retention period, and the audit log."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import retention, tickets
from ..extensions import db
from ..models import AuditLog, Office, OfficeService, Service, Window
from . import bp
from .access import apply, audit, is_admin, office_by_code, require_admin, require_office, visible_offices
from .forms import OfficeForm, OfficeServiceForm, PauseForm, RetentionForm, WindowForm


@bp.get("/")
def index():
    return render_template("admin/index.html", offices=visible_offices())


def _retention_error(days) -> str | None:
    if days is None:
        return None
    lo, hi = retention.min_days(), retention.MAX_DAYS
    if not lo <= days <= hi:
        return _("Строк зберігання — від %(lo)s до %(hi)s днів (неявки за %(lo)s днів потрібні для блокування "
                 "онлайн-запису).", lo=lo, hi=hi)
    return None


@bp.route("/offices/<code>", methods=["GET", "POST"])
def office(code: str):
    office = office_by_code(code)
    own = retention.policy_row(office)
    form = OfficeForm(obj=office)
    if request.method == "GET":
        form.retention_days.data = own.days if own else None
    if form.validate_on_submit():
        error = _retention_error(form.retention_days.data)
        if error:
            form.retention_days.errors.append(error)
        else:
            changes = apply(office, {"name": form.name.data.strip(), "address": form.address.data.strip(),
                                     "cabinet": (form.cabinet.data or "").strip() or None,
                                     "honour_holidays": form.honour_holidays.data,
                                     "min_notice_min": form.min_notice_min.data, "horizon_days": form.horizon_days.data})
            old_days = own.days if own else None
            if form.retention_days.data != old_days:
                changes["retention_days"] = [old_days, form.retention_days.data]
                if form.retention_days.data is None:
                    retention.clear_office(office)
                else:
                    retention.set_days(office, form.retention_days.data, current_user.id)
            if changes:
                audit("update", "office", office.code, f"Змінено офіс «{office.name}»", office.id, changes)
            db.session.commit()
            flash(_("Зміни збережено.") if changes else _("Змін немає."), "ok")
            return redirect(url_for("admin.office", code=office.code))
    return render_template("admin/office.html", office=office, form=form, pause=PauseForm(),
                           centre_days=retention.centre_days()), 200 if not form.errors else 422


@bp.post("/offices/<code>/<any(pause, resume):action>")
def office_pause(code: str, action: str):
    """The office-wide pause (an air-raid alert), as the API's POST /offices/{code}/pause|resume does."""
    office = office_by_code(code)
    form = PauseForm()
    if not form.validate_on_submit():
        abort(400)
    reason = (form.reason.data or "").strip()
    if action == "pause":
        if not reason:
            flash(_("Вкажіть причину паузи: її побачать відвідувачі на табло."), "error")
            return redirect(url_for("admin.office", code=office.code)), 303
        audit("pause", "office", office.code, f"Пауза офісу: {reason}", office.id, {"paused_reason": [None, reason]})
        tickets.set_office_pause(office, reason, current_user.id)
        flash(_("Видачу талонів призупинено."), "ok")
    else:
        audit("resume", "office", office.code, "Роботу офісу відновлено", office.id,
              {"paused_reason": [office.paused_reason, None]})
        tickets.set_office_pause(office, None, current_user.id)
        flash(_("Роботу відновлено."), "ok")
    return redirect(request.form.get("back") if request.form.get("back", "").startswith("/admin/")
                    else url_for("admin.office", code=office.code))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    require_admin()
    form = RetentionForm()
    if request.method == "GET":
        form.retention_days.data = retention.centre_days()
    if form.validate_on_submit():
        error = _retention_error(form.retention_days.data)
        if error:
            form.retention_days.errors.append(error)
        else:
            old = retention.centre_days()
            retention.set_days(None, form.retention_days.data, current_user.id)
            audit("update", "retention", "centre", "Змінено строк зберігання персональних даних у центрі", None,
                  {"days": [old, form.retention_days.data]})
            db.session.commit()
            flash(_("Зміни збережено."), "ok")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form), 200 if not form.errors else 422


# ---------------------------------------------------------------- windows

def _offered_services(office: Office) -> list[Service]:
    return list(db.session.scalars(select(Service).join(OfficeService, OfficeService.service_id == Service.id)
                                   .where(OfficeService.office_id == office.id).order_by(Service.code)).all())


def _window_form(office: Office, window: Window | None) -> WindowForm:
    form = WindowForm(obj=window) if window else WindowForm()
    form.services.choices = [(s.id, f"{s.code} — {s.name[:70]}") for s in _offered_services(office)]
    if request.method == "GET" and window is not None:
        form.services.data = [s.id for s in window.services]
    return form


def _save_window(office: Office, window: Window | None):
    form = _window_form(office, window)
    if form.validate_on_submit():
        clash = db.session.scalar(select(Window).where(Window.office_id == office.id,
                                                       Window.number == form.number.data))
        if clash is not None and clash is not window:
            form.number.errors.append(_("Вікно № %(number)s у цьому офісі вже є.", number=form.number.data))
        else:
            services = list(db.session.scalars(select(Service).where(Service.id.in_(form.services.data or []))))
            new = window is None
            if new:
                window = Window(office_id=office.id, number=form.number.data, active=form.active.data)
                db.session.add(window)
                changes = {"number": [None, form.number.data], "active": [None, form.active.data]}
            else:
                changes = apply(window, {"number": form.number.data, "active": form.active.data})
            old_codes = {s.code for s in window.services} if not new else set()
            new_codes = {s.code for s in services}
            if old_codes != new_codes:
                changes["services"] = [sorted(old_codes), sorted(new_codes)]
                window.services = services
            db.session.flush()
            if changes:
                what = "Додано" if new else ("Вимкнено" if changes.get("active") == [True, False] else "Змінено")
                audit("create" if new else "update", "window", window.id, f"{what} вікно № {window.number}",
                      office.id, changes)
            db.session.commit()
            flash(_("Вікно збережено."), "ok")
            return redirect(url_for("admin.office", code=office.code) + "#windows")
    return render_template("admin/window.html", office=office, window=window, form=form), \
        200 if not form.errors else 422


@bp.route("/offices/<code>/windows/new", methods=["GET", "POST"])
def window_new(code: str):
    return _save_window(office_by_code(code), None)


@bp.route("/windows/<int:window_id>", methods=["GET", "POST"])
def window_edit(window_id: int):
    window = db.session.get(Window, window_id) or abort(404)
    return _save_window(require_office(window.office), window)


# ---------------------------------------------------------------- services as the office offers them

@bp.get("/offices/<code>/services")
def office_services(code: str):
    office = office_by_code(code)
    rows = db.session.execute(select(OfficeService, Service).join(Service, Service.id == OfficeService.service_id)
                              .where(OfficeService.office_id == office.id).order_by(Service.code)).all()
    return render_template("admin/office_services.html", office=office, rows=rows)


@bp.route("/offices/<code>/services/<service_code>", methods=["GET", "POST"])
def office_service(code: str, service_code: str):
    office = office_by_code(code)
    service = db.session.scalar(select(Service).where(Service.code == service_code)) or abort(404)
    terms = db.session.get(OfficeService, (office.id, service.id)) or abort(404)
    form = OfficeServiceForm()
    if request.method == "GET":
        form.bookable.data, form.walk_in_share.data = terms.bookable, round(terms.walk_in_share * 100)
        form.daily_cap.data, form.last_ticket_time.data = terms.daily_cap, terms.last_ticket_time or ""
    if form.validate_on_submit():
        changes = apply(terms, {"bookable": form.bookable.data, "walk_in_share": form.walk_in_share.data / 100,
                                "daily_cap": form.daily_cap.data,
                                "last_ticket_time": (form.last_ticket_time.data or "").strip() or None})
        if changes:
            audit("update", "office_service", f"{office.code}/{service.code}",
                  f"Змінено умови послуги {service.code} в офісі", office.id, changes)
        db.session.commit()
        flash(_("Зміни збережено.") if changes else _("Змін немає."), "ok")
        return redirect(url_for("admin.office_services", code=office.code))
    return render_template("admin/office_service.html", office=office, service=service, form=form), \
        200 if not form.errors else 422


# ---------------------------------------------------------------- the audit log

@bp.get("/audit")
def audit_log():
    query = select(AuditLog).order_by(AuditLog.ts.desc(), AuditLog.id.desc()).limit(300)
    if not is_admin():
        query = query.where(AuditLog.office_id == current_user.office_id)
    return render_template("admin/audit.html", rows=db.session.scalars(query).all(),
                           offices={o.id: o for o in visible_offices()})
