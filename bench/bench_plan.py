"""Staffing plans for all eight offices over 31 days, against the 60 s target.

Run from the repository root: `.venv/bin/python bench/bench_plan.py` (the script puts the root on
sys.path) or `.venv/bin/python -m bench.bench_plan`. Main office: the 12 windows of the reference
data, 14 operators; territorial units: 3 windows, 4 operators each; demand from `default_demand`.
One process, one CP-SAT worker: the offices are planned one after another. Prints one row per
office; "cpu s" next to "wall s" shows how much a busy machine stretched the wall clock.
"""
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from time import perf_counter, process_time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table, result  # noqa: E402
from scheduling import (Operator, OfficeCalendar, PlanRequest, Regime, WindowSpec,  # noqa: E402
                        days_between, default_demand, solve_plan)

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)  # includes the DST change and a 4th Saturday
TARGET_S = 60.0
DURATIONS = {"pickup": 10, "district": 20, "permits": 20, "land": 20, "architecture": 25}
MAIN_WINDOWS = [{"pickup"}, {"pickup"}, {"pickup", "district"}, {"district"}, {"district"},
                {"district", "architecture"}, {"land", "architecture"}, {"permits"}, {"permits", "district"},
                {"land", "district"}, {"pickup", "district"}, {"district", "permits", "land", "architecture"}]
UNIT_WINDOWS = [{"pickup", "district"}, {"district", "land", "architecture"}, {"pickup", "permits", "district"}]
UNITS = ["dovhyntsivskyi", "pokrovskyi", "inhuletskyi", "inhulets", "saksahanskyi", "ternivskyi", "tsentralno-miskyi"]
BUDGET_S = {"main": 34.0, "unit": 2.5}  # solver time per request: main gets most, its days are the big ones

HOURS = {"open": [["08:30", "17:00"]], "reception": [["09:00", "16:00"]]}
MAIN = {"name": "main", "weekly": {"mon": HOURS, "wed": HOURS, "fri": HOURS,
                                   "tue": {"open": [["08:30", "20:00"]], "reception": [["09:00", "20:00"]]},
                                   "thu": {"open": [["08:30", "20:00"]], "reception": [["09:00", "20:00"]]}},
        "nth": [{"weekday": "sat", "n": 4, **HOURS, "breaks": [["12:30", "13:00"]]}]}
UNIT = {"name": "unit", "weekly": {d: {**HOURS, "breaks": [["12:30", "13:00"]]} for d in ("mon", "tue", "wed", "thu", "fri")}}


def request(code: str, regime: dict, windows: list[set], operators: int, visitors: int, budget: float) -> PlanRequest:
    days = days_between(OfficeCalendar([Regime.from_dict(regime)]), FIRST, LAST)
    specs = [WindowSpec(i + 1, frozenset(s)) for i, s in enumerate(windows)]
    # Each operator covers the services of two windows: a home window and one further along.
    ops = [Operator(100 + i, specs[i % len(specs)].services | specs[(i + 2) % len(specs)].services)
           for i in range(operators)]
    return PlanRequest(code, days, specs, ops, default_demand(days, DURATIONS, visitors), time_limit_s=budget)


def main():
    requests = [request("main", MAIN, MAIN_WINDOWS, 14, 260, BUDGET_S["main"])]
    requests += [request(code, UNIT, UNIT_WINDOWS, 4, 55, BUDGET_S["unit"]) for code in UNITS]
    rows = []
    t0, c0 = perf_counter(), process_time()
    for req in requests:
        c1 = process_time()
        plan = solve_plan(req)
        statuses = Counter(plan.day_status.values())
        rows.append([req.office, len(req.days), plan.wall_s, process_time() - c1,
                     ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
                     round(sum(req.demand.values())), round(sum(plan.unmet_min.values()))])
    wall, cpu = perf_counter() - t0, process_time() - c0
    rows.append(["total", sum(len(r.days) for r in requests), wall, cpu, "", "", ""])
    print_table(["office", "days", "wall s", "cpu s", "days by status", "demand min", "unmet min"], rows)
    print(f"target: all eight offices in {TARGET_S:.0f} s: {'met' if wall <= TARGET_S else 'MISSED'}")
    result("staffing plan, 8 offices x 31 days (wall)", f"<= {TARGET_S:.0f} s", f"{wall:.1f} s", wall <= TARGET_S)


if __name__ == "__main__":
    main()
