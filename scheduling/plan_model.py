"""The CP-SAT model of (part of) one office day on 30-minute cells.

Each operator takes at most one shift from a menu of rule-abiding shifts (see `shifts`), so the
labour rules never enter the model; x[o, w, c] seats an operator on shift at a window: one window
per operator and one operator per window at a time, only at windows offering one of the
operator's skills. Soft goals, lexicographic through weights (each tier outweighs everything the
tiers below it can add up to):
  0. every reception cell has someone at a window (so a "no break" office staggers its breaks),
  1. minutes of demand met (a staffed window serves its services the operator has skills for),
  2. workload balance: the spread of the operators' load over the period so far,
  3. stability: seat-cells that differ from the previous plan,
  4. windows used per operator (fewer moves between windows).
A part is some of the day's operators (or all of them), the rest of the plan fixed around it.
"""
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .grid import CELL, DayGrid, DayPlan, flows
from .shifts import is_shift, longest_shifts


@dataclass
class Context:
    """What the rest of the day's plan fixes around a part (the demand it leaves is in the grid)."""

    blocked: set[tuple[int, int]] = field(default_factory=set)  # (window, cell) taken by a fixed operator
    staffed: set[int] = field(default_factory=set)  # cells where a fixed operator sits at a window
    loads: list[int] = field(default_factory=list)  # the fixed operators' loads, for the balance


def _menus(grid: DayGrid, staff: list, plans: tuple[DayPlan, ...]) -> dict[int, list[tuple[int, ...]]]:
    """Candidate shifts per operator: the longest ones, plus the operator's shift in `plans` when
    still valid (so the hint and the previous plan can be reproduced exactly)."""
    by_budget: dict[int, set] = {}
    out = {}
    for op, budget, _ in staff:
        if budget not in by_budget:
            by_budget[budget] = {s for shifts in longest_shifts(grid, budget).values() for s in shifts}
        own = {p.shifts[op.id] for p in plans if op.id in p.shifts}
        out[op.id] = sorted(by_budget[budget] | {s for s in own if is_shift(grid, s, budget)})
    return out


def solve_part(grid: DayGrid, windows: list, staff: list, ctx: Context, previous: DayPlan | None, hint: DayPlan,
               det_limit: float, wall_limit: float, seed: int) -> tuple[DayPlan | None, str, float]:
    """`staff`: (Operator, budget cells, load cells so far); `hint`: a feasible plan of this part.

    Returns the part's plan (None if CP-SAT found none), the status name and the deterministic time."""
    m = cp_model.CpModel()
    cells = range(grid.n)

    on_shift = defaultdict(list)  # (operator, cell) -> literals of the shifts that work it
    chosen = {}  # shift literal -> (operator, shift)
    loads = []
    menus = _menus(grid, staff, (hint, previous or DayPlan()))
    for op, _, load in staff:
        choice = []
        for k, shift in enumerate(menus[op.id]):
            v = m.new_bool_var(f"s{op.id}_{k}")
            m.add_hint(v, hint.shifts.get(op.id) == shift)
            choice.append((v, len(shift)))
            chosen[v] = (op.id, shift)
            for c in shift:
                on_shift[op.id, c].append(v)
        m.add_at_most_one(v for v, _ in choice)
        loads.append(load + sum(n * v for v, n in choice))

    x = {}
    by_op, by_win, by_cell = defaultdict(list), defaultdict(list), defaultdict(list)
    for op, _, _ in staff:
        for w in windows:
            if op.skills & w.services:
                for c in cells:
                    if on_shift[op.id, c] and (w.id, c) not in ctx.blocked:
                        x[op.id, w.id, c] = v = m.new_bool_var(f"x{op.id}_{w.id}_{c}")
                        m.add_hint(v, hint.seats.get(op.id, {}).get(c) == w.id)
                        by_op[op.id, c].append(v)
                        by_win[w.id, c].append(v)
                        by_cell[c].append(v)
    for (o, c), seats in by_op.items():
        m.add(sum(seats) <= sum(on_shift[o, c]))
    for seats in by_win.values():
        m.add_at_most_one(seats)

    used = {}
    for (o, w, c), v in x.items():
        if (o, w) not in used:
            used[o, w] = m.new_bool_var(f"u{o}_{w}")
            m.add_hint(used[o, w], w in hint.seats.get(o, {}).values())
        m.add_implication(v, used[o, w])
    moved = [] if previous is None else [
        v if previous.seats.get(o, {}).get(c) != w else 1 - v for (o, w, c), v in x.items()]

    unstaffed = []
    for c in cells:
        if grid.reception[c] and c not in ctx.staffed:
            lit = m.new_bool_var(f"cov{c}")
            m.add(lit <= sum(by_cell[c]))
            m.add_hint(lit, any(c in at for at in hint.seats.values()))
            unstaffed.append(1 - lit)

    skills = {op.id: op.skills for op, _, _ in staff}
    met = flows(grid, hint.seats, {(o, w.id): skills[o] & w.services for o in skills for w in windows})
    served = defaultdict(list)  # (service, cell) -> minutes served at each window
    for w in windows:
        for c in cells:
            parts = []
            for s in sorted(w.services):
                want = grid.demand.get(s, [0] * grid.n)[c]
                able = [x[o, w.id, c] for o in skills if s in skills[o] and (o, w.id, c) in x]
                if want and able:
                    v = m.new_int_var(0, min(CELL, want), f"z{w.id}_{s}_{c}")
                    m.add(v <= CELL * sum(able))
                    m.add_hint(v, met.get((w.id, s, c), 0))
                    parts.append(v)
                    served[s, c].append(v)
            if len(parts) > 1:
                m.add(sum(parts) <= CELL * sum(by_win[w.id, c]))
    for (s, c), parts in served.items():
        m.add(sum(parts) <= grid.demand[s][c])

    top = max([load for _, _, load in staff] + ctx.loads, default=0) + grid.n
    hi, lo = m.new_int_var(0, top, "hi"), m.new_int_var(0, top, "lo")
    for load in loads + ctx.loads:
        m.add(hi >= load)
        m.add(lo <= load)
    if not loads + ctx.loads:
        m.add(hi == lo)

    w4 = 1
    w3 = w4 * (len(used) + 1)
    w2 = w3 * (len(x) + 1)
    w1 = w2 * (top + 1)
    w0 = w1 * (sum(sum(v) for v in grid.demand.values()) + 1)
    m.minimize(w0 * sum(unstaffed) - w1 * sum(v for parts in served.values() for v in parts)
               + w2 * (hi - lo) + w3 * sum(moved) + w4 * sum(used.values()))

    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = det_limit  # what normally stops it: repeatable
    solver.parameters.max_time_in_seconds = wall_limit  # a guard for a slow or busy machine
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.interleave_search = False
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.status_name(status), solver.deterministic_time
    plan = DayPlan()
    for v, (o, shift) in chosen.items():
        if solver.boolean_value(v):
            plan.shifts[o] = shift
    for (o, w, c), v in x.items():
        if solver.boolean_value(v):
            plan.seats.setdefault(o, {})[c] = w
    return plan, solver.status_name(status), solver.deterministic_time
