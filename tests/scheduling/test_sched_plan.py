"""Staffing plans on small instances: hard rules, determinism, stability, coverage, fallback."""
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from scheduling import (Operator, PlanRequest, PlanResult, WindowSpec, days_between, default_demand, solve_plan)
from scheduling import plan as plan_module

MONDAY = date(2026, 3, 2)
WINDOWS = [WindowSpec(1, frozenset("a")), WindowSpec(2, frozenset("ab")), WindowSpec(3, frozenset("bc"))]
CREW = [Operator(1, frozenset("abc")), Operator(2, frozenset("abc")), Operator(3, frozenset("ab")),
        Operator(4, frozenset("bc"))]


def busy(days, per_hour=80.0):
    """More demand than three windows can serve, for every service and reception hour."""
    return {(d.date, h, s): per_hour for d in days for h in range(24) for s in "abc"
            if any(m(a) < (h + 1) * 60 and h * 60 < m(b) for a, b in d.reception)}


def request(days, operators=CREW, **kw):
    return PlanRequest("test", days, WINDOWS, operators, kw.pop("demand", busy(days)), time_limit_s=1.0, **kw)


def m(t: time) -> int:
    return t.hour * 60 + t.minute


def violations(req: PlanRequest, result: PlanResult) -> list[str]:
    """The hard rules, checked apart from the solver's own model. Work is a shift (first to last
    minute) less its breaks, seated at a window or not."""
    out = []
    ops = {o.id: o for o in req.operators}
    services = {w.id: w.services for w in req.windows}
    days = {d.date: d for d in req.days}
    shifts = {(o, d): (m(a), m(b)) for o, d, a, b in result.shifts}
    rests = defaultdict(list)
    for o, d, a, b in result.breaks:
        rests[o, d].append((m(a), m(b)))
    per_op, per_window = defaultdict(list), defaultdict(list)
    for a in result.assignments:
        per_op[a.operator_id, a.date].append((m(a.start), m(a.end)))
        per_window[a.window_id, a.date].append((m(a.start), m(a.end)))
        if not ops[a.operator_id].skills & services[a.window_id]:
            out.append(f"{a}: no skill for the window")
        first, last = shifts[a.operator_id, a.date]
        if not (first <= m(a.start) and m(a.end) <= last) or any(
                r0 < m(a.end) and m(a.start) < r1 for r0, r1 in rests[a.operator_id, a.date]):
            out.append(f"{a}: outside the operator's work")
    for key, spans in (*per_op.items(), *per_window.items()):
        spans.sort()
        if any(b > c for (_, b), (c, _) in zip(spans, spans[1:])):
            out.append(f"{key}: two places at once")
    weekly = defaultdict(int)
    for (op, d), (first, last) in shifts.items():
        opening = [(m(a), m(b)) for a, b in days[d].open]
        cuts = sorted(rests[op, d])
        stretches, t = [], first
        for r0, r1 in cuts:
            stretches.append((t, r0))
            t = r1
        stretches.append((t, last))
        work = sum(b - a for a, b in stretches)
        weekly[op, d.isocalendar()[:2]] += work
        if d in ops[op].days_off:
            out.append(f"{op} {d}: works on a day off")
        if work > ops[op].max_daily_min:
            out.append(f"{op} {d}: {work} min of work")
        if any(b - a > 270 for a, b in stretches):
            out.append(f"{op} {d}: a stretch over 4.5 h")
        if not all(any(s <= a and b <= e for s, e in opening) for a, b in stretches):
            out.append(f"{op} {d}: work outside working hours")
        meal = sum(max(0, min(r1, e) - max(r0, s)) for r0, r1 in cuts for s, e in opening)
        if meal > 30:
            out.append(f"{op} {d}: {meal} min of breaks in working hours (one 30-min break allowed)")
    out += [f"{op} {w}: {v} min in the week" for (op, w), v in weekly.items() if v > ops[op].max_weekly_min]
    return out


def staffed(result: PlanResult, d: date, at: int) -> set[int]:
    return {a.window_id for a in result.assignments if a.date == d and m(a.start) <= at < m(a.end)}


def cells(result: PlanResult) -> set[tuple]:
    return {(a.operator_id, a.window_id, a.date, t) for a in result.assignments for t in range(m(a.start), m(a.end), 30)}


@pytest.fixture(scope="module")
def monday(main_cal):
    return days_between(main_cal, MONDAY, MONDAY)


@pytest.fixture(scope="module")
def week(main_cal):
    return days_between(main_cal, MONDAY, MONDAY + timedelta(days=6))


@pytest.fixture(scope="module")
def monday_plan(monday):
    return solve_plan(request(monday))


def test_hard_rules_hold(monday, monday_plan):
    assert monday_plan.status in ("OPTIMAL", "FEASIBLE") and not monday_plan.greedy_fallback
    assert monday_plan.assignments and violations(request(monday), monday_plan) == []
    assert {b[0] for b in monday_plan.breaks} == {1, 2, 3, 4}  # everyone works > 4.5 h, so everyone breaks


def test_a_no_break_office_stays_fully_staffed_through_lunch(monday_plan):
    # Four operators for three windows: breaks are staggered, every window is staffed all reception long.
    for at in range(9 * 60, 16 * 60, 30):
        assert staffed(monday_plan, MONDAY, at) == {1, 2, 3}, f"{at // 60}:{at % 60:02d}"
    assert len({(b[2], b[3]) for b in monday_plan.breaks}) > 1  # not everyone at once


def test_same_input_same_plan(monday):
    first, second = solve_plan(request(monday)), solve_plan(request(monday))
    assert {**first.to_dict(), "wall_s": 0} == {**second.to_dict(), "wall_s": 0}


def test_a_week_respects_days_off_and_weekly_limits(week):
    crew = [Operator(1, frozenset("abc"), max_weekly_min=900), Operator(2, frozenset("abc")),
            Operator(3, frozenset("ab"), days_off=frozenset({MONDAY + timedelta(days=2)})), Operator(4, frozenset("bc"))]
    req = request(week, crew)
    result = solve_plan(req)
    assert violations(req, result) == []
    worked = defaultdict(int)
    for a in result.assignments:
        worked[a.operator_id] += m(a.end) - m(a.start)
    assert 0 < worked[1] <= 900 and worked[2] > worked[1]
    assert not any(a.operator_id == 3 and a.date == MONDAY + timedelta(days=2) for a in result.assignments)
    assert result.day_status[MONDAY + timedelta(days=5)] == "CLOSED"  # an ordinary Saturday


def test_replanning_with_the_previous_plan_changes_little(unit_cal):
    week = days_between(unit_cal, MONDAY, MONDAY + timedelta(days=4))  # small days: solved to optimality
    before = solve_plan(request(week))
    assert set(before.day_status.values()) == {"OPTIMAL"}
    assert cells(solve_plan(request(week, previous=before))) == cells(before)  # same input: nothing moves
    wednesday = MONDAY + timedelta(days=2)
    absent = min(a.operator_id for a in before.assignments if a.date == wednesday)
    crew = [replace(o, days_off=frozenset({wednesday})) if o.id == absent else o for o in CREW]
    stable = solve_plan(request(week, crew, previous=before))
    changed = cells(before) ^ cells(stable)
    assert violations(request(week, crew), stable) == []
    assert changed and min(c[2] for c in changed) == wednesday  # Monday and Tuesday stay as they were
    assert len(changed) <= len(cells(before) ^ cells(solve_plan(request(week, crew))))


def test_more_operators_cover_more_demand(monday):
    two = solve_plan(request(monday, CREW[:2]))
    four = solve_plan(request(monday))
    assert sum(two.unmet_min.values()) > sum(four.unmet_min.values()) > 0


def test_greedy_fallback_when_cp_sat_finds_nothing(monday, monkeypatch):
    monkeypatch.setattr(plan_module, "solve_day", lambda *args: (None, "UNKNOWN"))
    req = request(monday)
    result = solve_plan(req)
    assert result.greedy_fallback and result.status == "GREEDY" and result.day_status[MONDAY] == "GREEDY"
    assert result.assignments and violations(req, result) == []


def test_window_availability_carries_the_operators_skills(monday_plan):
    entries = monday_plan.window_availability(MONDAY)
    assert {e.window_id for e in entries} == {1, 2, 3}
    skills = {o.id: o.skills for o in CREW}
    for e in entries:
        shifts = [a for a in monday_plan.assignments if a.window_id == e.window_id
                  and any(m(a.start) >= m(s) and m(a.end) <= m(t) for s, t in e.intervals)]
        assert shifts and all(e.services == {1: frozenset("a"), 2: frozenset("ab"), 3: frozenset("bc")}[e.window_id]
                               & skills[a.operator_id] for a in shifts)
    assert monday_plan.window_availability(MONDAY + timedelta(days=1)) == []


def test_plan_dict_round_trip_and_merge(monday_plan, week):
    assert PlanResult.from_dict(monday_plan.to_dict()) == monday_plan
    stored = [PlanResult.from_dict(monday_plan.to_dict(d.date)) for d in week]  # one row per office and date
    assert PlanResult.merged(stored).assignments == monday_plan.assignments
    assert PlanResult.merged(stored).shifts == monday_plan.shifts
    one_day = monday_plan.to_dict(MONDAY)
    assert one_day["assignments"] and all(a["date"] == "2026-03-02" for a in one_day["assignments"])
    assert datetime.strptime(one_day["assignments"][0]["start"], "%H:%M")
    assert monday_plan.to_dict(MONDAY + timedelta(days=1))["assignments"] == []


def test_default_demand_profile(main_cal):
    monday, tuesday = days_between(main_cal, MONDAY, MONDAY + timedelta(days=1))
    demand = default_demand([monday, tuesday], {"a": 10, "b": 30}, visitors_per_day=100)
    on = defaultdict(float)
    for (d, h, s), minutes in demand.items():
        on[d, h] += minutes
    assert sum(v for (d, _), v in on.items() if d == MONDAY) == pytest.approx(100 * (10 + 30) / 2)
    assert on[MONDAY, 10] > on[MONDAY, 13] and on[MONDAY, 10] > on[MONDAY, 15]  # morning peak, lunch dip
    assert (MONDAY, 17) not in on and on[tuesday.date, 18] > on[tuesday.date, 16]  # late peak on long days
