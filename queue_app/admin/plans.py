"""The staffing plan: «Скласти план» per office and date range (solved by a worker process, followed by
its job), and the plan of a date as a readable timetable."""
from datetime import date, timedelta

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock, planning
from ..calendars import FIRST_DATE, LAST_DATE
from ..extensions import db
from ..models import Office, PlanJob, StaffPlan
from . import bp
from .access import audit, office_by_code, require_office
from .forms import PlanForm


@bp.route("/offices/<code>/plan", methods=["GET", "POST"])
def plan(code: str):
    office = office_by_code(code)
    form = PlanForm()
    today = clock.now().date()
    if request.method == "GET":
        form.date_from.data = today + timedelta(days=1)
        form.date_to.data = today + timedelta(days=7)
    if form.validate_on_submit():
        job_id = planning.start_plan(office.id, form.date_from.data, form.date_to.data)
        audit("plan", "plan_job", job_id, f"Запущено складання плану {form.date_from.data}–{form.date_to.data}",
              office.id, {"from": [None, form.date_from.data.isoformat()], "to": [None, form.date_to.data.isoformat()]})
        db.session.commit()
        flash(_("План складається у фоні; сторінка покаже, коли він буде готовий."), "ok")
        return redirect(url_for("admin.plan", code=office.code, job=job_id))
    jobs = db.session.scalars(select(PlanJob).where(PlanJob.office_id == office.id)
                              .order_by(PlanJob.id.desc()).limit(10)).all()
    days = db.session.scalars(select(StaffPlan.day).where(StaffPlan.office_id == office.id, StaffPlan.day >= today)
                              .order_by(StaffPlan.day).limit(62)).all()
    return render_template("admin/plan.html", office=office, form=form, jobs=jobs, days=days,
                           follow=request.args.get("job", type=int)), 200 if not form.errors else 422


@bp.get("/plan-jobs/<int:job_id>.json")
def plan_job(job_id: int):
    status = planning.job_status(job_id)
    if status is None:
        abort(404)
    require_office(db.session.get(Office, status["office_id"]))
    return jsonify(status)


@bp.get("/offices/<code>/timetable/<day>")
def timetable(code: str, day: str):
    office = office_by_code(code)
    try:
        d = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not FIRST_DATE <= d <= LAST_DATE:  # the previous and next days would overflow
        abort(404)
    table = planning.timetable(office, d)
    return render_template("admin/timetable.html", office=office, day=d, table=table, grid=_grid(table),
                           prev=d - timedelta(days=1), next=d + timedelta(days=1))


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


def _grid(table: dict | None) -> dict | None:
    """Positions (in % of the day's span, whole hours) of every spell and break, for the timetable bars."""
    if not table:
        return None
    times = [_minutes(s[k]) for w in table["windows"] for s in w["slots"] for k in ("start", "end")]
    times += [_minutes(b[k]) for b in table["breaks"] for k in ("start", "end")]
    if not times:
        return None
    lo, hi = min(times) // 60 * 60, -(-max(times) // 60) * 60
    span = max(hi - lo, 60)

    def pos(item):
        a, b = _minutes(item["start"]), _minutes(item["end"])
        return {**item, "left": round((a - lo) * 100 / span, 3), "width": round((b - a) * 100 / span, 3)}
    return {"hours": [f"{h:02d}:00" for h in range(lo // 60, hi // 60)], "hour_width": round(6000 / span, 3),
            "windows": [{"number": w["number"], "slots": [pos(s) for s in w["slots"]]} for w in table["windows"]],
            "breaks": [pos(b) for b in table["breaks"]]}
