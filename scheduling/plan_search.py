"""One office day: CP-SAT on the whole day when the office is small, else a neighbourhood search.

CP-SAT with one worker (so that plans are repeatable) has no neighbourhood search of its own and
barely improves a big office's day in the time there is; re-solving a few related windows at a
time, the rest of the plan fixed, does. Neighbourhoods come from a seeded RNG and the search stops
on CP-SAT's deterministic time, so the same input gives the same plan.
"""
import random
from dataclasses import replace
from time import perf_counter

from .grid import DayGrid, Plan, flows
from .plan_model import Context, solve_part

NEIGHBOURHOOD = 4  # windows re-solved together; an office with no more is solved whole
DET_PER_SECOND = 0.3  # CP-SAT deterministic time per wall second here, roughly
ROUNDS = 6  # a neighbourhood gets 1/ROUNDS of the day's budget (more rounds if some finish early)


def _offers(windows: list, staff: list) -> dict:
    return {(op.id, w.id): op.skills & w.services for op, _, _ in staff for w in windows}


def score(grid: DayGrid, plan: Plan, windows: list, staff: list, previous: Plan | None) -> tuple:
    """The model's tiers for a whole day plan, to compare plans lexicographically (lower is better)."""
    unstaffed = sum(1 for c in range(grid.n) if grid.reception[c] and not any(c in at for at in plan.values()))
    loads = [load + len(plan.get(op.id, {})) for op, _, load in staff]

    def seats(p):
        return {(o, w, c) for o, at in (p or {}).items() for c, w in at.items()}

    return (unstaffed, -sum(flows(grid, plan, _offers(windows, staff)).values()),
            max(loads, default=0) - min(loads, default=0),
            len(seats(plan) ^ seats(previous)) if previous is not None else 0,
            sum(len(set(at.values())) for at in plan.values()))


def _around(grid: DayGrid, plan: Plan, chosen: set[int], windows: list, staff: list):
    """Split `plan` into the operators free to move (seated only at `chosen` windows, or idle) and
    the fixed rest; returns the grid with the demand the rest leaves, the free staff and context."""
    free = {op.id for op, _, _ in staff if set(plan.get(op.id, {}).values()) <= chosen}
    fixed = {o: at for o, at in plan.items() if o not in free}
    blocked = {(w, c) for at in fixed.values() for c, w in at.items()}
    # The fixed windows keep what they serve in the current plan's flow, so the current plan of the
    # free part still fits what they leave (a fresh flow of the fixed part alone could take other demand).
    left = {s: list(v) for s, v in grid.demand.items()}
    for (w, s, c), minutes in flows(grid, plan, _offers(windows, staff)).items():
        if (w, c) in blocked:
            left[s][c] -= minutes
    ctx = Context(blocked=blocked, staffed={c for at in fixed.values() for c in at},
                  loads=[load + len(plan.get(op.id, {})) for op, _, load in staff if op.id not in free])
    return replace(grid, demand=left), [s for s in staff if s[0].id in free], ctx, fixed


def solve_day(grid: DayGrid, windows: list, staff: list, previous: Plan | None, start: Plan,
              time_limit_s: float, seed: int) -> tuple[Plan, str]:
    """`staff`: (Operator, budget cells, load cells so far); `start`: a feasible plan."""
    budget = time_limit_s * DET_PER_SECOND
    guard = max(3 * time_limit_s, 1.0)  # wall-clock seconds: only a busy or slow machine gets there
    if len(windows) <= NEIGHBOURHOOD:
        at, status, _ = solve_part(grid, windows, staff, Context(), previous, start, budget, guard, seed, exact=True)
        return at, status
    rng = random.Random(seed)
    plan, best = start, score(grid, start, windows, staff, previous)
    spent, deadline = 0.0, perf_counter() + guard
    while spent < budget and perf_counter() < deadline:
        pivot = rng.choice(windows)
        ranked = sorted(windows, key=lambda w: (-len(w.services & pivot.services), rng.random()))
        chosen = {w.id for w in ranked[:NEIGHBOURHOOD]}
        part_grid, part_staff, ctx, fixed = _around(grid, plan, chosen, windows, staff)
        part, status, used = solve_part(part_grid, [w for w in windows if w.id in chosen], part_staff, ctx, previous,
                                        {op.id: plan[op.id] for op, _, _ in part_staff if op.id in plan},
                                        min(budget / ROUNDS, budget - spent), guard, seed, exact=False)
        spent += max(used, 1e-3)  # a round always costs something, so the loop ends
        if status in ("OPTIMAL", "FEASIBLE"):
            candidate = {**fixed, **part}
            mark = score(grid, candidate, windows, staff, previous)
            if mark <= best:
                plan, best = candidate, mark
    return plan, "FEASIBLE"
