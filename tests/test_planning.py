"""Issue 3, the Flask side of the staffing plan: stored per date, read by slots, run off-request."""
import time
from datetime import date, datetime

import pytest
from sqlalchemy import select

from queue_app import clock
from queue_app.extensions import db
from queue_app.models import Office, PlanJob, StaffPlan
from queue_app.planning import job_status, run_plan, start_plan, timetable
from scheduling import KYIV

MONDAY, FRIDAY = date(2026, 11, 30), date(2026, 12, 4)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 23, 10, 0, tzinfo=KYIV))


def office(code):
    return db.session.scalar(select(Office).where(Office.code == code))


def test_plan_is_stored_per_open_date_and_shown_as_a_timetable(app):
    unit = office("pokrovskyi")
    result = run_plan(unit, MONDAY, date(2026, 12, 6), time_limit_s=5)
    stored = {p.day for p in db.session.scalars(select(StaffPlan).where(StaffPlan.office_id == unit.id))}
    assert stored == {MONDAY, date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3), FRIDAY}  # Mon–Fri
    assert result.status in ("OPTIMAL", "FEASIBLE", "GREEDY")
    table = timetable(unit, MONDAY)
    assert {w["number"] for w in table["windows"]} <= {1, 2, 3} and table["windows"]
    spells = [s for w in table["windows"] for s in w["slots"]]
    assert all(s["operator"].startswith("pokrovskyi-op") for s in spells)
    # The territorial lunch break: nobody is planned at a window through 12:30–13:00.
    assert not any(s["start"] < "13:00" and s["end"] > "12:30" for s in spells)
    assert timetable(unit, date(2026, 12, 5)) is None  # Saturday: closed, nothing stored


def test_slots_follow_the_stored_plan(app, client):
    unit = office("pokrovskyi")
    url = f"/api/v1/offices/pokrovskyi/slots?service=pickup&date={MONDAY}"
    before = sum(s["free"] for s in client.get(url).get_json()["slots"])
    run_plan(unit, MONDAY, MONDAY, time_limit_s=3)
    row = db.session.get(StaffPlan, (unit.id, MONDAY))
    # Keep only the first spell of the day: fewer staffed hours must mean fewer bookable places.
    first = min(row.plan["assignments"], key=lambda a: a["start"])
    row.plan = {**row.plan, "assignments": [first]}
    db.session.commit()
    slots = client.get(url).get_json()["slots"]
    assert sum(s["free"] for s in slots) < before
    assert all(first["start"] <= s["start"] and s["end"] <= first["end"] for s in slots)


def test_replanning_replaces_the_stored_plan(app):
    unit = office("inhulets")
    run_plan(unit, MONDAY, MONDAY, time_limit_s=2)
    first = db.session.get(StaffPlan, (unit.id, MONDAY)).plan
    run_plan(unit, MONDAY, MONDAY, time_limit_s=2)
    assert len(db.session.scalars(select(StaffPlan).where(StaffPlan.office_id == unit.id)).all()) == 1
    # With the previous plan as a reference the model keeps it (stability).
    assert db.session.get(StaffPlan, (unit.id, MONDAY)).plan["assignments"] == first["assignments"]


def test_plan_command(app):
    out = app.test_cli_runner().invoke(args=["plan", "inhulets", "2026-11-30", "2026-11-30", "--time-limit", "2"])
    assert '"office": "inhulets"' in out.output
    assert app.test_cli_runner().invoke(args=["plan", "nowhere", "2026-11-30", "2026-11-30"]).exit_code != 0


def test_admin_button_runs_the_plan_in_another_process(app, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("QUEUE_FAKE_NOW", "2026-11-23T10:00:00+02:00")
    job_id = start_plan(office("inhulets").id, FRIDAY, FRIDAY)
    assert job_status(job_id)["state"] in ("queued", "running", "done")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and job_status(job_id)["state"] in ("queued", "running"):
        time.sleep(0.3)
        db.session.expire_all()
    assert job_status(job_id)["state"] == "done", db.session.get(PlanJob, job_id).message
    assert db.session.get(StaffPlan, (office("inhulets").id, FRIDAY)) is not None
