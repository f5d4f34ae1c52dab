"""A greedy day plan: always feasible, never optimised. CP-SAT starts from it and falls back to it.

Windows that could meet the most demand are filled first; each takes a chain of operators, the
least loaded first, each working the longest shift allowed from where the previous one stopped.
"""
from .grid import DayGrid, Plan
from .shifts import longest_shifts


def greedy_day(grid: DayGrid, windows: list, staff: list) -> Plan:
    """`windows`: WindowSpec; `staff`: (Operator, budget cells, load so far) in order of preference."""
    def reach(w):
        return sum(sum(grid.demand.get(s, ())) for s in w.services)

    free = [(op, budget) for op, budget, _ in staff if budget > 0]
    at: Plan = {}
    for w in sorted(windows, key=lambda w: (-reach(w), w.id)):
        c = 0
        while True:
            c = next((k for k in range(c, grid.n) if grid.open[k]), None)
            pick = next((k for k, (op, _) in enumerate(free) if op.skills & w.services), None)
            if c is None or pick is None:
                break
            op, budget = free.pop(pick)
            shift = longest_shifts(grid, budget)[c][-1]  # the latest meal break: the longest first stretch
            at[op.id] = {k: w.id for k in shift}
            c = shift[-1] + 1
    return at
