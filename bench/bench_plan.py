"""Staffing plans for all eight offices over 31 days, against the 60 s target.

Run from the repository root: `.venv/bin/python bench/bench_plan.py` (the script puts the root on
sys.path). Main office: the 12 windows of the reference data, 14 operators; territorial units:
3 windows, 4 operators each; demand from `default_demand`. Prints one row per office.
"""
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    print(f"{'office':<18} {'days':>4} {'wall s':>7}  {'statuses':<34} {'demand min':>10} {'unmet min':>9}")
    t0 = perf_counter()
    for req in requests:
        result = solve_plan(req)
        statuses = Counter(result.day_status.values())
        wanted = sum(req.demand.values())
        print(f"{req.office:<18} {len(req.days):>4} {result.wall_s:>7.2f}  "
              f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items())):<34} "
              f"{wanted:>10.0f} {sum(result.unmet_min.values()):>9.0f}")
    total = perf_counter() - t0
    print(f"{'total':<18} {'':>4} {total:>7.2f}  target {TARGET_S:.0f} s: {'met' if total <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
