"""Staffing plans: feed the CP-SAT model from the database, store its plan per office and date.

A plan is solved in a separate process (`flask --app wsgi plan …`), never inside a request: the
solver is a long C call that would stall the gevent loop. The admin button starts that process and
follows its PlanJob row.
"""
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from scheduling import Operator, PlanRequest, PlanResult, WindowSpec, default_demand, solve_plan

from . import clock
from .calendars import office_days
from .extensions import db
from .models import Event, Office, PlanJob, Service, Staff, StaffPlan, utcnow

HISTORY = timedelta(weeks=8)
# Visitors a day assumed before there is any history: about what the windows can serve in a day.
DEFAULT_VISITORS = {"main": 300}
DEFAULT_VISITORS_TERRITORIAL = 60
SECONDS_PER_DAY = 1.5  # the solver's time limit per open day


def _operators(office: Office, services: set[str]) -> list[Operator]:
    staff = db.session.scalars(select(Staff).where(Staff.office_id == office.id, Staff.role == "operator",
                                                  Staff.active).order_by(Staff.id)).all()
    # An operator with no skills recorded is taken to do every service of the office.
    return [Operator(s.id, frozenset(x.code for x in s.skills) or frozenset(services)) for s in staff]


def _history_demand(office: Office, days, durations: dict[str, int]) -> dict | None:
    """Minutes of service per (date, hour, service): the mean of the same weekday over the last weeks."""
    since = clock.now() - HISTORY
    rows = db.session.execute(
        select(Event.ts, Service.code).join(Service, Service.id == Event.service_id)
        .where(Event.office_id == office.id, Event.kind == "issued", Event.ts >= since)).all()
    if len(rows) < 100:
        return None
    counts, weeks = defaultdict(float), HISTORY.days / 7
    for ts, code in rows:
        local = ts.astimezone(clock.now().tzinfo)
        counts[local.weekday(), local.hour, code] += durations.get(code, 15) / weeks
    return {(d.date, h, s): m for d in days for (wd, h, s), m in counts.items() if wd == d.date.weekday()}


def build_request(office: Office, d_from: date, d_to: date, time_limit_s: float | None = None) -> PlanRequest:
    days = office_days(office, d_from, d_to)
    windows = [WindowSpec(w.id, frozenset(s.code for s in w.services)) for w in office.windows if w.active]
    services = {s for w in windows for s in w.services}
    durations = dict(db.session.execute(select(Service.code, Service.duration_min)).all())
    demand = _history_demand(office, days, durations) or default_demand(
        days, {s: durations[s] for s in services},
        DEFAULT_VISITORS.get(office.code, DEFAULT_VISITORS_TERRITORIAL))
    previous = PlanResult.merged([PlanResult.from_dict(p.plan) for p in db.session.scalars(
        select(StaffPlan).where(StaffPlan.office_id == office.id, StaffPlan.day.between(d_from, d_to)))])
    open_days = sum(1 for d in days if d.open)
    return PlanRequest(office=office.code, days=days, windows=windows, operators=_operators(office, services),
                       demand=demand, previous=previous,
                       time_limit_s=time_limit_s or max(1.0, SECONDS_PER_DAY * open_days))


def run_plan(office: Office, d_from: date, d_to: date, time_limit_s: float | None = None) -> PlanResult:
    """Solve and store the plan of every date of the period (replacing what was stored)."""
    result = solve_plan(build_request(office, d_from, d_to, time_limit_s))
    d = d_from
    while d <= d_to:
        row = db.session.get(StaffPlan, (office.id, d))
        if result.day_status.get(d, "CLOSED") == "CLOSED":
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(StaffPlan(office_id=office.id, day=d, plan=result.to_dict(d)))
        else:
            row.plan, row.created_at = result.to_dict(d), utcnow()
        d += timedelta(days=1)
    db.session.commit()
    return result


def start_plan(office_id: int, d_from: date, d_to: date) -> int:
    """Queue a plan run in a worker process; returns the job id to follow."""
    job = PlanJob(office_id=office_id, date_from=d_from, date_to=d_to)
    db.session.add(job)
    db.session.commit()
    root = Path(__file__).resolve().parent.parent
    subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "plan", "--job", str(job.id)],
                     cwd=root, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return job.id


def run_job(job_id: int) -> PlanJob:
    job = db.session.get(PlanJob, job_id)
    job.state = "running"
    db.session.commit()
    try:
        result = run_plan(db.session.get(Office, job.office_id), job.date_from, job.date_to)
        job.state = "done"
        job.message = f"{result.status}; незакрита потреба {sum(result.unmet_min.values()):.0f} хв"
    except Exception as err:  # the job row must say it failed; the trace goes to the worker's log
        db.session.rollback()
        job = db.session.get(PlanJob, job_id)
        job.state, job.message = "failed", type(err).__name__
        raise
    finally:
        job.finished_at = utcnow()
        db.session.commit()
    return job


def job_status(job_id: int) -> dict | None:
    job = db.session.get(PlanJob, job_id)
    if job is None:
        return None
    return {"id": job.id, "state": job.state, "message": job.message, "office_id": job.office_id,
            "from": job.date_from.isoformat(), "to": job.date_to.isoformat()}


def timetable(office: Office, day: date) -> dict | None:
    """The stored plan of a date, as a manager reads it: per window the spells and who works them."""
    row = db.session.get(StaffPlan, (office.id, day))
    if row is None:
        return None
    names = dict(db.session.execute(select(Staff.id, Staff.username).where(Staff.office_id == office.id)).all())
    numbers = {w.id: w.number for w in office.windows}
    by_window = defaultdict(list)
    for a in sorted(row.plan["assignments"], key=lambda a: a["start"]):
        by_window[a["window_id"]].append({"start": a["start"], "end": a["end"],
                                          "operator": names.get(a["operator_id"], f"#{a['operator_id']}")})
    return {"windows": [{"number": numbers.get(w, w), "slots": slots} for w, slots in
                        sorted(by_window.items(), key=lambda kv: numbers.get(kv[0], kv[0]))],
            "breaks": [{"operator": names.get(b["operator_id"], f"#{b['operator_id']}"), "start": b["start"],
                        "end": b["end"]} for b in sorted(row.plan["breaks"], key=lambda b: b["start"])],
            "unmet_min": row.plan.get("unmet_min", {}), "status": row.plan.get("status")}


