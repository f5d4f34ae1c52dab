"""Exact answers for placing a day's bookings on windows, used when the fast path fails.

- Hall's condition at a moment: the bookings present must match distinct windows. Cheap, and a
  failure proves infeasibility.
- Groups: bookings chained by overlapping in time. Groups never compete for a window, so each is
  decided alone (slot grids usually cut a day at the full hours).
- CP-SAT per group: a boolean per booking and eligible window, exactly one window per booking,
  at most one booking per window in each maximal set of overlapping bookings. A group of a real
  day (some fifty bookings) is decided in a few milliseconds.
"""
from ortools.sat.python import cp_model

from .placement import Board, Problem


def matchable(prob: Problem, active: list[int]) -> bool:
    """Whether the bookings in `active` (all present at one moment) can have distinct resources."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set) -> bool:
        for r in prob.elig(i):
            if r not in seen:
                seen.add(r)
                if r not in owner or augment(owner[r], seen):
                    owner[r] = i
                    return True
        return False

    return all(augment(i, set()) for i in active)


def hall_fails(prob: Problem, i: int) -> bool:
    """Hall's condition, checked at every moment during booking i where someone arrives."""
    s, e, _ = prob.items[i]
    near = [j for j, (bs, be, _) in enumerate(prob.items) if bs < e and s < be]
    moments = sorted({s} | {prob.items[j][0] for j in near if prob.items[j][0] > s})
    return any(not matchable(prob, [j for j in near if prob.items[j][0] <= t < prob.items[j][1]])
               for t in moments)


def groups(prob: Problem) -> list[list[int]]:
    """Bookings chained by overlapping in time, each group in start order."""
    order = sorted(range(len(prob.items)), key=lambda i: prob.items[i][:2])
    out: list[list[int]] = []
    reach = -1
    for i in order:
        s, e, _ = prob.items[i]
        if s >= reach:
            out.append([])
        out[-1].append(i)
        reach = max(reach, e)
    return out


def _cliques(members: list[tuple[int, int, int]]) -> list[list[int]]:
    """Maximal sets of mutually overlapping intervals (s, e, id): the only at-most-one rows needed."""
    out, active, grown = [], [], False
    for s, e, i in sorted(members):
        if any(end <= s for end, _ in active):
            if grown and len(active) > 1:
                out.append([j for _, j in active])
            active, grown = [(end, j) for end, j in active if end > s], False
        active.append((e, i))
        grown = True
    if grown and len(active) > 1:
        out.append([j for _, j in active])
    return out


def solve_exact(prob: Problem, board: Board, group: list[int], time_limit_s: float) -> str:
    """CP-SAT on one group; on success the board holds its assignment. Returns the status name."""
    model = cp_model.CpModel()
    x = {}
    per_res: dict[int, list[tuple[int, int, int]]] = {}
    for i in group:
        for r in prob.elig(i):
            x[i, r] = model.new_bool_var(f"x{i}_{r}")
            if board.where.get(i) == r:
                model.add_hint(x[i, r], True)
            per_res.setdefault(r, []).append((prob.items[i][0], prob.items[i][1], i))
        model.add_exactly_one(x[i, r] for r in prob.elig(i))
    for r, members in per_res.items():
        for clique in _cliques(members):
            model.add_at_most_one(x[i, r] for i in clique)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.01)
    solver.parameters.num_workers = 1
    # Presolve and symmetry detection cost more than they save on models this small (about 6 ms to 2).
    solver.parameters.cp_model_presolve = False
    solver.parameters.symmetry_level = 0
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for i in group:
            if i in board.where:
                board.remove(i)
        for (i, r), var in x.items():
            if solver.boolean_value(var):
                board.place(i, r)
    return solver.status_name(status)
