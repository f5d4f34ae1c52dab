"""One office day: CP-SAT on the whole day when the office is small, else a neighbourhood search.

CP-SAT with one worker (so that plans are repeatable) has no neighbourhood search of its own and
barely improves a big office's day in the time there is; re-solving the shifts and seats of a few
operators at a time, the rest of the plan fixed, does. Neighbourhoods come from a seeded RNG and
the search stops on CP-SAT's deterministic time, so the same input gives the same plan.
"""
import random
from dataclasses import replace
from time import perf_counter

from .grid import DayGrid, DayPlan, flows
from .plan_model import Context, solve_part

WHOLE_DAY_WINDOWS = 4  # an office with no more windows is solved in one model
NEIGHBOURHOOD = 3  # operators re-solved together (more makes rounds slower, fewer makes them myopic)
DET_PER_SECOND = 0.2  # CP-SAT deterministic time per wall second on these models, roughly
ROUNDS = 10  # a neighbourhood gets 1/ROUNDS of the day's budget (more rounds if some finish early)


def _offers(windows: list, staff: list) -> dict:
    return {(op.id, w.id): op.skills & w.services for op, _, _ in staff for w in windows}


def score(grid: DayGrid, plan: DayPlan, windows: list, staff: list, previous: DayPlan | None) -> tuple:
    """The model's tiers for a whole day plan, to compare plans lexicographically (lower is better)."""
    unstaffed = sum(1 for c in range(grid.n) if grid.reception[c] and not any(c in at for at in plan.seats.values()))
    loads = [load + len(plan.shifts.get(op.id, ())) for op, _, load in staff]

    def seats(p):
        return {(o, w, c) for o, at in p.seats.items() for c, w in at.items()}

    return (unstaffed, -sum(flows(grid, plan.seats, _offers(windows, staff)).values()),
            max(loads, default=0) - min(loads, default=0),
            len(seats(plan) ^ seats(previous)) if previous is not None else 0,
            sum(len(set(at.values())) for at in plan.seats.values()))


def _around(grid: DayGrid, plan: DayPlan, free: set[int], windows: list, staff: list):
    """The part of the day for the `free` operators: the grid with the demand the others leave,
    the free staff, the context the others fix, and the others' plan."""
    fixed = plan.only(set(plan.shifts) - free)
    blocked = {(w, c) for at in fixed.seats.values() for c, w in at.items()}
    # The fixed windows keep what they serve in the current plan's flow, so the current plan of the
    # free part still fits what they leave (a fresh flow of the fixed part alone could take other demand).
    left = {s: list(v) for s, v in grid.demand.items()}
    for (w, s, c), minutes in flows(grid, plan.seats, _offers(windows, staff)).items():
        if (w, c) in blocked:
            left[s][c] -= minutes
    ctx = Context(blocked, {c for at in fixed.seats.values() for c in at},
                  [load + len(fixed.shifts.get(op.id, ())) for op, _, load in staff if op.id in fixed.shifts])
    return replace(grid, demand=left), [s for s in staff if s[0].id in free], ctx, fixed


def solve_day(grid: DayGrid, windows: list, staff: list, previous: DayPlan | None, start: DayPlan,
              time_limit_s: float, seed: int) -> tuple[DayPlan | None, str]:
    """`staff`: (Operator, budget cells, load cells so far); `start`: a feasible plan."""
    budget = time_limit_s * DET_PER_SECOND
    guard = max(3 * time_limit_s, 1.0)  # wall-clock seconds: only a busy or slow machine gets there
    if len(windows) <= WHOLE_DAY_WINDOWS:
        plan, status, _ = solve_part(grid, windows, staff, Context(), previous, start, budget, guard, seed)
        return plan, status
    rng = random.Random(seed)
    operators = [op.id for op, _, _ in staff]
    plan, best = start, score(grid, start, windows, staff, previous)
    spent, deadline = 0.0, perf_counter() + guard
    while spent < budget and perf_counter() < deadline:
        free = set(rng.sample(operators, min(NEIGHBOURHOOD, len(operators))))
        part_grid, part_staff, ctx, fixed = _around(grid, plan, free, windows, staff)
        part, _, used = solve_part(part_grid, windows, part_staff, ctx, previous, plan.only(free),
                                   min(budget / ROUNDS, budget - spent), guard, seed)
        spent += max(used, 1e-3)  # a round always costs something, so the loop ends
        if part is not None:
            candidate = DayPlan({**fixed.shifts, **part.shifts}, {**fixed.seats, **part.seats})
            mark = score(grid, candidate, windows, staff, previous)
            if mark <= best:
                plan, best = candidate, mark
    return plan, "FEASIBLE"
