"""The CP-SAT model of one office day on 30-minute cells.

Each operator picks at most one shift from a menu of rule-abiding shifts (see `shifts`), which
keeps the labour rules out of the model and its linear relaxation tight; x[o, w, c] then seats
working operators at windows: one window per operator and one operator per window at a time, and
only at windows offering one of the operator's skills. Soft goals, lexicographic through weights
(each tier outweighs all that the tiers below it can add up to):
  0. every reception cell has someone at a window (so a "no break" office staggers its breaks),
  1. minutes of demand left unmet (what a staffed window serves is its services the operator has),
  2. workload balance: the spread of the operators' period load,
  3. stability: cells that differ from the previous plan,
  4. windows used per operator (fewer moves between windows).
"""
from collections import defaultdict

from ortools.sat.python import cp_model

from .grid import CELL, DayGrid, Plan
from .shifts import is_shift, longest_shifts


def _menus(grid: DayGrid, staff: list, plans: list[Plan]) -> dict[int, list[tuple[int, ...]]]:
    """Candidate shifts per operator: the longest ones, plus the operator's shift in `plans` if valid."""
    by_budget = {}
    out = {}
    for op, budget, _ in staff:
        if budget not in by_budget:
            by_budget[budget] = {s for shifts in longest_shifts(grid, budget).values() for s in shifts}
        own = {tuple(sorted(p[op.id])) for p in plans if p.get(op.id)}
        out[op.id] = sorted(by_budget[budget] | {s for s in own if is_shift(grid, s, budget)})
    return out


def solve_day(grid: DayGrid, windows: list, staff: list, previous: Plan | None, hint: Plan,
              time_limit_s: float, seed: int) -> tuple[Plan, str]:
    """`staff`: (Operator, budget cells, load cells so far). Returns the plan and the CP-SAT status."""
    m = cp_model.CpModel()
    cells = range(grid.n)
    on_shift = defaultdict(list)  # (operator, cell) -> shift literals that work it
    loads = []
    menus = _menus(grid, staff, [hint, previous or {}])
    for op, _, load in staff:
        hinted = tuple(sorted(hint.get(op.id, {})))
        choice = []
        for shift in menus[op.id]:
            v = m.new_bool_var(f"s{op.id}_{shift[0]}_{len(choice)}")
            m.add_hint(v, shift == hinted)
            choice.append((v, len(shift)))
            for c in shift:
                on_shift[op.id, c].append(v)
        m.add_at_most_one(v for v, _ in choice)
        loads.append(load + sum(n * v for v, n in choice))

    x = {}
    for op, _, _ in staff:
        for w in windows:
            if op.skills & w.services:
                for c in cells:
                    if on_shift[op.id, c]:
                        x[op.id, w.id, c] = m.new_bool_var(f"x{op.id}_{w.id}_{c}")
                        m.add_hint(x[op.id, w.id, c], hint.get(op.id, {}).get(c) == w.id)
    by_op, by_win, by_cell = defaultdict(list), defaultdict(list), defaultdict(list)
    for (o, w, c), v in x.items():
        by_op[o, c].append(v)
        by_win[w, c].append(v)
        by_cell[c].append(v)
    for (o, c), seats in by_op.items():
        m.add(sum(seats) <= sum(on_shift[o, c]))
    for seats in by_win.values():
        m.add_at_most_one(seats)

    used = {}
    for (o, w, c), v in x.items():
        if (o, w) not in used:
            used[o, w] = m.new_bool_var(f"u{o}_{w}")
            m.add_hint(used[o, w], w in hint.get(o, {}).values())
        m.add_implication(v, used[o, w])
    moved = [] if previous is None else [
        v if previous.get(o, {}).get(c) != w else 1 - v for (o, w, c), v in x.items()]

    unstaffed = []
    for c in cells:
        if grid.reception[c]:
            lit = m.new_bool_var(f"cov{c}")
            m.add(lit <= sum(by_cell[c]))
            m.add_hint(lit, any(hint.get(o, {}).get(c) is not None for o in hint))
            unstaffed.append(1 - lit)

    served = defaultdict(list)  # (service, cell) -> minutes served at each window
    skilled = {op.id: op.skills for op, _, _ in staff}
    from .grid import flows
    offers = {(op.id, w.id): op.skills & w.services for op, _, _ in staff for w in windows}
    zhint = flows(grid, hint, offers)
    for (w_id, c), seats in by_win.items():
        w = next(w for w in windows if w.id == w_id)
        parts = []
        for s in sorted(w.services):
            want = grid.demand.get(s, [0] * grid.n)[c]
            able = [x[o, w_id, c] for o in skilled if s in skilled[o] and (o, w_id, c) in x]
            if want and able:
                v = m.new_int_var(0, min(CELL, want), f"z{w_id}_{s}_{c}")
                m.add_hint(v, zhint.get((w_id, s, c), 0))
                m.add(v <= CELL * sum(able))
                parts.append(v)
                served[s, c].append(v)
        if len(parts) > 1:
            m.add(sum(parts) <= CELL * sum(seats))
    for (s, c), parts in served.items():
        m.add(sum(parts) <= grid.demand[s][c])

    spread = 0
    top = max((load for _, _, load in staff), default=0) + grid.n
    if loads:
        hi, lo = m.new_int_var(0, top, "hi"), m.new_int_var(0, top, "lo")
        for load in loads:
            m.add(hi >= load)
            m.add(lo <= load)
        spread = hi - lo

    w4 = 1
    w3 = w4 * (len(used) + 1)
    w2 = w3 * (len(x) + 1)
    w1 = w2 * (top + 1)
    w0 = w1 * (sum(sum(v) for v in grid.demand.values()) + 1)
    m.minimize(w0 * sum(unstaffed) - w1 * sum(v for parts in served.values() for v in parts) + w2 * spread
               + w3 * sum(moved) + w4 * sum(used.values()))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.max_deterministic_time = time_limit_s  # binds first on a normal machine: same input, same plan
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.interleave_search = False
    solver.parameters.linearization_level = 0
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, solver.status_name(status)
    at: Plan = defaultdict(dict)
    for (o, w, c), v in x.items():
        if solver.boolean_value(v):
            at[o][c] = w
    return dict(at), solver.status_name(status)
