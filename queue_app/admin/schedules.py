"""Schedule regimes of an office (Schedule.rules = scheduling.Regime in dict form) and closures."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from scheduling import Regime
from scheduling.calendar import WEEKDAYS, DayTemplate

from ..errors import MAX_ROW_ID
from ..extensions import db
from ..models import Closure, Office, Schedule
from . import bp
from .access import audit, is_admin, office_by_code, require_admin, require_office
from .forms import (WEEKDAY_NAMES, AdminForm, ClosureForm, RegimeForm, format_intervals, format_nth, parse_intervals,
                    parse_nth)

TEMPLATE_ERRORS = {
    "reception hours must lie within working hours": _l("Години прийому мають лежати в межах робочих годин."),
    "empty interval": _l("Порожній проміжок часу: початок має бути раніше кінця."),
}


def _error(field, message: str) -> None:
    field.errors = [*field.errors, message]  # a tuple until the form has been validated


def _template_error(err: ValueError) -> str:
    text = str(err)
    return next((str(uk) for en, uk in TEMPLATE_ERRORS.items() if text.startswith(en)),
                _("Неправильні години: %(error)s", error=text))


@bp.get("/offices/<code>/schedules")
def schedules(code: str):
    office = office_by_code(code)
    regimes = db.session.scalars(select(Schedule).where(Schedule.office_id == office.id).order_by(Schedule.id)).all()
    closures = db.session.scalars(select(Closure).where(or_(Closure.office_id == office.id,
                                                            Closure.office_id.is_(None)))
                                  .order_by(Closure.date_from.desc())).all()
    return render_template("admin/schedules.html", office=office, regimes=regimes, closures=closures,
                           confirm=AdminForm(), weekday_names=WEEKDAY_NAMES, fmt=format_intervals)


def _fill(form: RegimeForm, rules: dict, key: str) -> None:
    regime = Regime.from_dict(rules).to_dict()
    form.key.data, form.name.data = key, regime["name"]
    form.valid_from.data = Regime.from_dict(rules).valid_from
    form.valid_to.data = Regime.from_dict(rules).valid_to
    form.appointment_only.data, form.priority.data = regime["appointment_only"], regime["priority"]
    for wd in WEEKDAYS:
        day = regime["weekly"].get(wd, {})
        getattr(form, f"{wd}_open").data = format_intervals(day.get("open"))
        getattr(form, f"{wd}_reception").data = format_intervals(day.get("reception"))
        getattr(form, f"{wd}_breaks").data = format_intervals(day.get("breaks"))
    form.nth.data = format_nth(regime["nth"])


def _rules(form: RegimeForm) -> dict | None:
    """The form as Regime.to_dict() form, validated by a round trip through Regime.from_dict; None on errors."""
    weekly, ok = {}, True
    for wd in WEEKDAYS:
        day, day_ok = {}, True
        for part in ("open", "reception", "breaks"):
            field = getattr(form, f"{wd}_{part}")
            try:
                day[part] = parse_intervals(field.data)
            except ValueError as err:
                _error(field, str(err))
                day_ok = ok = False
        if not day_ok or not any(day.values()):
            continue
        if not day["reception"] or not day["open"]:
            _error(getattr(form, f"{wd}_open"),
                   _("%(day)s: вкажіть і робочі години, і години прийому (або залиште день порожнім — вихідний).",
                     day=WEEKDAY_NAMES[wd]))
            ok = False
            continue
        try:
            DayTemplate.from_dict(day)
        except ValueError as err:
            _error(getattr(form, f"{wd}_reception"), f"{WEEKDAY_NAMES[wd]}: {_template_error(err)}")
            ok = False
            continue
        weekly[wd] = day
    nth = []
    try:
        nth = parse_nth(form.nth.data)
    except ValueError as err:
        _error(form.nth, str(err))
        ok = False
    for rule in nth:
        try:
            DayTemplate.from_dict(rule)
        except ValueError as err:
            _error(form.nth, f"{rule['weekday']} {rule['n']}: {_template_error(err)}")
            ok = False
    if not ok:
        return None
    if not weekly and not nth:
        _error(form.mon_open, _("Режим без жодного робочого дня: заповніть години хоча б одного дня."))
        return None
    rules = {"name": form.name.data.strip(), "weekly": weekly, "nth": nth,
             "valid_from": form.valid_from.data.isoformat() if form.valid_from.data else None,
             "valid_to": form.valid_to.data.isoformat() if form.valid_to.data else None,
             "appointment_only": bool(form.appointment_only.data), "priority": form.priority.data or 0}
    try:
        return Regime.from_dict(rules).to_dict()  # the round trip: what the calendar will read back
    except (ValueError, KeyError) as err:
        _error(form.name, _template_error(err) if isinstance(err, ValueError) else _("Неповний режим."))
        return None


def _save_regime(office, row: Schedule | None):
    form = RegimeForm()
    if request.method == "GET":
        if row is not None:
            _fill(form, row.rules, row.key)
        elif request.args.get("copy"):
            # The id comes from a link of ours; a made-up one copies nothing (past MAX_ROW_ID it would overflow).
            copy_id = request.args.get("copy", 0, type=int)
            source = db.session.get(Schedule, copy_id) if 0 < copy_id <= MAX_ROW_ID else None
            if source is not None and source.office_id == office.id:
                _fill(form, source.rules, f"{source.key}-copy"[:40])
    valid = form.validate_on_submit()
    if form.is_submitted():
        rules = _rules(form)  # also when other fields failed: every mistake is shown at once
    if valid:
        clash = db.session.scalar(select(Schedule).where(Schedule.office_id == office.id,
                                                         Schedule.key == form.key.data))
        if clash is not None and clash is not row:
            _error(form.key, _("Режим з таким ключем у цьому офісі вже є."))
        elif rules is not None:
            if row is None:
                row = Schedule(office_id=office.id, key=form.key.data, rules=rules)
                db.session.add(row)
                db.session.flush()
                audit("create", "schedule", row.id, f"Додано режим «{rules['name']}»", office.id,
                      {"rules": [None, rules]})
            else:
                old = row.rules
                row.key, row.rules = form.key.data, rules
                if old != rules:
                    audit("update", "schedule", row.id, f"Змінено режим «{rules['name']}»", office.id,
                          {"rules": [old, rules]})
            db.session.commit()
            flash(_("Режим збережено."), "ok")
            return redirect(url_for("admin.schedules", code=office.code))
    return render_template("admin/regime.html", office=office, row=row, form=form, weekdays=WEEKDAYS,
                           weekday_names=WEEKDAY_NAMES), 200 if not form.errors else 422


@bp.route("/offices/<code>/schedules/new", methods=["GET", "POST"])
def regime_new(code: str):
    return _save_regime(office_by_code(code), None)


@bp.route("/schedules/<int:schedule_id>", methods=["GET", "POST"])
def regime_edit(schedule_id: int):
    row = db.session.get(Schedule, schedule_id) or abort(404)
    return _save_regime(require_office(row.office), row)


@bp.post("/schedules/<int:schedule_id>/delete")
def regime_delete(schedule_id: int):
    row = db.session.get(Schedule, schedule_id) or abort(404)
    office = require_office(row.office)
    if not AdminForm().validate_on_submit():
        abort(400)
    audit("delete", "schedule", row.id, f"Видалено режим «{row.rules.get('name')}»", office.id,
          {"rules": [row.rules, None]})
    db.session.delete(row)
    db.session.commit()
    flash(_("Режим видалено."), "ok")
    return redirect(url_for("admin.schedules", code=office.code))


# ---------------------------------------------------------------- closures

@bp.route("/offices/<code>/closures/new", methods=["GET", "POST"])
def closure_new(code: str):
    office = office_by_code(code)
    form = ClosureForm()
    if not is_admin():
        form.scope.choices = [("office", _("Цей офіс"))]
    if form.validate_on_submit():
        centre = form.scope.data == "centre"
        closure = Closure(office_id=None if centre else office.id, date_from=form.date_from.data,
                          date_to=form.date_to.data, reason=form.reason.data.strip())
        db.session.add(closure)
        db.session.flush()
        where = "усього центру" if centre else f"офісу «{office.name}»"
        audit("create", "closure", closure.id, f"Закриття {where}: {closure.date_from}–{closure.date_to}",
              None if centre else office.id,
              {"from": [None, closure.date_from.isoformat()], "to": [None, closure.date_to.isoformat()],
               "reason": [None, closure.reason]})
        db.session.commit()
        flash(_("Закриття додано: запис на ці дні більше не пропонується."), "ok")
        return redirect(url_for("admin.schedules", code=office.code))
    return render_template("admin/closure.html", office=office, form=form), 200 if not form.errors else 422


@bp.post("/closures/<int:closure_id>/delete")
def closure_delete(closure_id: int):
    closure = db.session.get(Closure, closure_id) or abort(404)
    back = request.form.get("office", "")
    if closure.office_id is None:
        require_admin()
    else:
        require_office(db.session.get(Office, closure.office_id))
    if not AdminForm().validate_on_submit():
        abort(400)
    audit("delete", "closure", closure.id, f"Скасовано закриття {closure.date_from}–{closure.date_to}",
          closure.office_id, {"reason": [closure.reason, None]})
    db.session.delete(closure)
    db.session.commit()
    flash(_("Закриття скасовано."), "ok")
    return redirect(url_for("admin.schedules", code=back) if back else url_for("admin.index"))
