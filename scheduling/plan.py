"""Staffing plans: which operator staffs which window when, for one office over a period.

Solved day by day (plan_search), each day under an equal share of the time budget: a month in one
model would not fit it. Weekly working time and the period load that balancing evens out are
carried from day to day. A day where CP-SAT finds nothing in time gets the greedy plan
(plan_greedy), flagged.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time
from time import perf_counter

from .admission import WindowAvailability
from .calendar import Day
from .demand import default_demand
from .grid import CELL, DayGrid, DayPlan, make_grid, served
from .intervals import merge, minutes, times
from .plan_greedy import greedy_day
from .plan_search import solve_day
from .shifts import is_shift

__all__ = ["Operator", "WindowSpec", "Assignment", "PlanRequest", "PlanResult", "solve_plan", "default_demand"]

# Labour-law ceilings, whatever an operator's own limits say: 8 h of work a day, 40 h a week.
DAY_MAX_MIN, WEEK_MAX_MIN = 480, 2400


@dataclass(frozen=True)
class Operator:
    id: int
    skills: frozenset[str]
    max_daily_min: int = 480
    max_weekly_min: int = 2400
    days_off: frozenset[date] = frozenset()


@dataclass(frozen=True)
class WindowSpec:
    id: int
    services: frozenset[str]


@dataclass(frozen=True)
class Assignment:
    operator_id: int
    window_id: int
    date: date
    start: time
    end: time


@dataclass
class PlanRequest:
    office: str
    days: list[Day]
    windows: list[WindowSpec]
    operators: list[Operator]
    demand: dict[tuple[date, int, str], float]  # (date, hour, service) -> minutes of service; closed dates ignored
    previous: "PlanResult | None" = None
    time_limit_s: float = 5.0  # for the whole request, shared equally by its working days
    seed: int = 0
    week_worked_min: dict[int, int] = field(default_factory=dict)  # operator -> minutes worked earlier in the first week


@dataclass
class PlanResult:
    assignments: list[Assignment]  # who sits at which window when
    breaks: list[tuple[int, date, time, time]]  # (operator_id, date, start, end), office breaks included
    unmet_min: dict[str, float]
    status: str  # the worst day: GREEDY < FEASIBLE < OPTIMAL
    wall_s: float
    greedy_fallback: bool
    # (operator_id, date, start, end) from first to last minute of work; on shift but not at a window
    # (a relief for others' breaks, say) is work too
    shifts: list[tuple[int, date, time, time]] = field(default_factory=list)
    windows: dict[int, frozenset[str]] = field(default_factory=dict)  # window -> services
    skills: dict[int, frozenset[str]] = field(default_factory=dict)  # operator -> services
    day_status: dict[date, str] = field(default_factory=dict)  # OPTIMAL | FEASIBLE | GREEDY | CLOSED
    day_unmet: dict[date, dict[str, float]] = field(default_factory=dict)

    def window_availability(self, d: date) -> list[WindowAvailability]:
        """One entry per window and operator of `d`: the operator's hours there and the window's
        services that the operator has the skills for (so a booking stays with one operator)."""
        spells = defaultdict(list)
        for a in self.assignments:
            if a.date == d:
                spells[a.window_id, a.operator_id].append((minutes(a.start), minutes(a.end)))
        return [WindowAvailability(w, self.windows[w] & self.skills[o], tuple(times(merge(spells[w, o]))))
                for w, o in sorted(spells, key=lambda k: (k[0], min(spells[k])))]

    def to_dict(self, d: date | None = None) -> dict:
        """JSON-friendly form, of the whole period or (for storage per office and date) of date `d`."""
        def keep(x):
            return d is None or x == d

        def hhmm(t):
            return t.strftime("%H:%M")

        return {
            "assignments": [{"operator_id": a.operator_id, "window_id": a.window_id, "date": a.date.isoformat(),
                             "start": hhmm(a.start), "end": hhmm(a.end)} for a in self.assignments if keep(a.date)],
            "breaks": [{"operator_id": o, "date": day.isoformat(), "start": hhmm(a), "end": hhmm(b)}
                       for o, day, a, b in self.breaks if keep(day)],
            "shifts": [{"operator_id": o, "date": day.isoformat(), "start": hhmm(a), "end": hhmm(b)}
                       for o, day, a, b in self.shifts if keep(day)],
            "unmet_min": self.day_unmet.get(d, {}) if d else self.unmet_min,
            "status": self.day_status.get(d, "CLOSED") if d else self.status,
            "wall_s": self.wall_s, "greedy_fallback": self.greedy_fallback,
            "windows": {str(w): sorted(s) for w, s in self.windows.items()},
            "skills": {str(o): sorted(s) for o, s in self.skills.items()},
            "day_status": {k.isoformat(): v for k, v in self.day_status.items() if keep(k)},
            "day_unmet": {k.isoformat(): v for k, v in self.day_unmet.items() if keep(k)}}

    @classmethod
    def from_dict(cls, data: dict) -> "PlanResult":
        def day(s):
            return date.fromisoformat(s)

        def spells(rows):
            return [(r["operator_id"], day(r["date"]), time.fromisoformat(r["start"]), time.fromisoformat(r["end"]))
                    for r in rows]

        return cls(
            assignments=[Assignment(a["operator_id"], a["window_id"], day(a["date"]), time.fromisoformat(a["start"]),
                                    time.fromisoformat(a["end"])) for a in data["assignments"]],
            breaks=spells(data["breaks"]), shifts=spells(data.get("shifts", [])),  # absent in early stored plans
            unmet_min=dict(data["unmet_min"]), status=data["status"], wall_s=data["wall_s"],
            greedy_fallback=data["greedy_fallback"],
            windows={int(w): frozenset(s) for w, s in data["windows"].items()},
            skills={int(o): frozenset(s) for o, s in data["skills"].items()},
            day_status={day(k): v for k, v in data["day_status"].items()},
            day_unmet={day(k): dict(v) for k, v in data["day_unmet"].items()})


    @classmethod
    def merged(cls, plans: list["PlanResult"]) -> "PlanResult | None":
        """Plans of separate dates (as stored one per office and date) as one, e.g. a `previous`."""
        if not plans:
            return None
        out = cls([], [], {}, "OPTIMAL", 0.0, False)
        for p in plans:
            out.assignments += p.assignments
            out.breaks += p.breaks
            out.shifts += p.shifts
            out.windows |= p.windows
            out.skills |= p.skills
            out.day_status |= p.day_status
            out.day_unmet |= p.day_unmet
            for s, mins in p.unmet_min.items():
                out.unmet_min[s] = out.unmet_min.get(s, 0.0) + mins
            out.greedy_fallback |= p.greedy_fallback
        out.status = _worst(out.day_status)
        return out


def _worst(day_status: dict[date, str]) -> str:
    statuses = set(day_status.values())
    return next((s for s in ("GREEDY", "FEASIBLE") if s in statuses), "OPTIMAL")


def _on_grid(plan: PlanResult, d: date, grid: DayGrid) -> DayPlan:
    """A stored plan's day `d` on today's grid (for stability and as a starting point)."""
    def cells(a: time, b: time):
        return [c for c in range(grid.n) if minutes(a) <= grid.start + c * CELL < minutes(b)]

    out = DayPlan()
    for a in plan.assignments:
        if a.date == d:
            out.seats.setdefault(a.operator_id, {}).update((c, a.window_id) for c in cells(a.start, a.end))
    rests = {(o, c) for o, day, a, b in plan.breaks if day == d for c in cells(a, b)}
    for o, day, a, b in plan.shifts:
        if day == d:
            out.shifts[o] = tuple(c for c in cells(a, b) if (o, c) not in rests)
    return out


def _still_valid(plan: DayPlan, grid: DayGrid, staff: list, windows: list[WindowSpec]) -> DayPlan:
    """The operators of `plan` whose day still obeys today's rules, budgets, windows and skills."""
    services = {w.id: w.services for w in windows}
    return plan.only(op.id for op, budget, _ in staff if op.id in plan.shifts
                     and is_shift(grid, plan.shifts[op.id], budget)
                     and set(plan.seats.get(op.id, {})) <= set(plan.shifts[op.id])
                     and all(op.skills & services.get(w, frozenset()) for w in plan.seats.get(op.id, {}).values()))


def _runs(cells: list[int]) -> list[tuple[int, int]]:
    """Consecutive cell numbers as [first, last + 1) runs."""
    out = []
    for c in cells:
        if out and out[-1][1] == c:
            out[-1] = (out[-1][0], c + 1)
        else:
            out.append((c, c + 1))
    return out


def solve_plan(req: PlanRequest) -> PlanResult:
    """Plan every working day of `req`; a previous plan, if given, is kept where nothing forces a change."""
    t0 = perf_counter()
    hourly = defaultdict(lambda: defaultdict(float))
    for (d, hour, service), mins in req.demand.items():
        hourly[d][hour, service] += mins
    days = sorted(req.days, key=lambda day: day.date)
    per_day = req.time_limit_s / max(1, sum(1 for day in days if day.open))
    offers = {(op.id, w.id): op.skills & w.services for op in req.operators for w in req.windows}
    weekly = defaultdict(int)  # (operator, (ISO year, ISO week)) -> minutes
    if days:
        first_week = days[0].date.isocalendar()[:2]
        for op_id, mins in req.week_worked_min.items():
            weekly[op_id, first_week] = mins
    load = defaultdict(int)  # operator -> cells worked in the period so far
    out = PlanResult([], [], defaultdict(float), "OPTIMAL", 0.0, False, windows={w.id: w.services for w in req.windows},
                     skills={op.id: op.skills for op in req.operators})
    for day in days:
        if not day.open:
            out.day_status[day.date] = "CLOSED"
            continue
        grid = make_grid(day, hourly[day.date])
        week = day.date.isocalendar()[:2]
        # (operator, budget in cells, load so far), the least loaded first: the greedy prefers them
        staff = sorted(((op, min(op.max_daily_min, DAY_MAX_MIN,
                                  min(op.max_weekly_min, WEEK_MAX_MIN) - weekly[op.id, week]) // CELL, load[op.id])
                        for op in req.operators if day.date not in op.days_off
                        and any(offers[op.id, w.id] for w in req.windows)), key=lambda s: (s[2], s[0].id))
        staff = [s for s in staff if s[1] > 0]
        greedy = greedy_day(grid, req.windows, staff)
        previous = _on_grid(req.previous, day.date, grid) if req.previous else None
        kept = _still_valid(previous, grid, staff, req.windows) if previous else DayPlan()
        plan, status = solve_day(grid, req.windows, staff, previous, kept if kept.shifts else greedy,
                                 per_day, req.seed)
        if plan is None:
            plan, status, out.greedy_fallback = greedy, "GREEDY", True
        _record(out, day.date, grid, plan, served(grid, plan.seats, offers))
        out.day_status[day.date] = status
        for op_id, cells in plan.shifts.items():
            weekly[op_id, week] += CELL * len(cells)
            load[op_id] += len(cells)
    out.status = _worst(out.day_status)
    out.unmet_min = dict(out.unmet_min)
    out.wall_s = perf_counter() - t0
    return out


def _record(out: PlanResult, d: date, grid: DayGrid, plan: DayPlan, met: dict[str, int]):
    for op_id, shift in sorted(plan.shifts.items()):
        seats = plan.seats.get(op_id, {})
        for first, stop in _runs(sorted(seats)):
            start = first  # a run splits where the operator changes windows
            for c in range(first + 1, stop + 1):
                if c == stop or seats[c] != seats[start]:
                    out.assignments.append(Assignment(op_id, seats[start], d, grid.time(start), grid.time(c)))
                    start = c
        out.shifts.append((op_id, d, grid.time(shift[0]), grid.time(shift[-1] + 1)))
        rest = [c for c in range(shift[0], shift[-1]) if c not in shift]
        out.breaks.extend((op_id, d, grid.time(a), grid.time(b)) for a, b in _runs(rest))
    unmet = {s: sum(v) - met.get(s, 0) for s, v in grid.demand.items()}
    for s, mins in grid.unreachable.items():
        unmet[s] = unmet.get(s, 0) + mins
    out.day_unmet[d] = {s: float(m) for s, m in unmet.items() if m > 0}
    for s, m in out.day_unmet[d].items():
        out.unmet_min[s] += m
