"""A greedy day plan: always feasible, never optimised. CP-SAT starts from it and falls back to it.

Windows that could meet the most demand are filled first; each takes a chain of operators, each
working the longest shift allowed from where the previous one stopped, meal breaks rotating so
that a "no break" office is never left empty. A window takes the operator with the most demand in
the services they would offer there (the least loaded on a tie).
"""
from .grid import DayGrid, DayPlan
from .shifts import longest_shifts


def greedy_day(grid: DayGrid, windows: list, staff: list) -> DayPlan:
    """`windows`: WindowSpec; `staff`: (Operator, budget cells, load so far), least loaded first."""
    def wanted(services):
        return sum(sum(grid.demand.get(s, ())) for s in services)

    free = [(op, budget) for op, budget, _ in staff if budget > 0]
    menus = {budget: longest_shifts(grid, budget) for _, budget in free}
    plan = DayPlan()
    for w in sorted(windows, key=lambda w: (-wanted(w.services), w.id)):
        c = 0
        while True:
            c = next((k for k in range(c, grid.n) if grid.open[k]), None)
            able = [k for k, (op, _) in enumerate(free) if op.skills & w.services]
            if c is None or not able:
                break
            op, budget = free.pop(max(able, key=lambda k: (wanted(free[k][0].skills & w.services), -k)))
            options = menus[budget][c]
            shift = options[-1 - len(plan.shifts) % len(options)]
            plan.shifts[op.id] = shift
            plan.seats[op.id] = {k: w.id for k in shift}
            c = shift[-1] + 1
    return plan
