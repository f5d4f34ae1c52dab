"""A day of staffing as 30-minute cells, its demand per cell, and the service minutes a plan delivers.

The grid runs from the first opening to the last closing; cells inside an office break are closed
(no one can work there, and time spent there counts as the operators' break).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import time

from ortools.graph.python import max_flow

from .calendar import Day
from .intervals import Span, clock, covers, spans

CELL = 30  # minutes
MAX_RUN = 9  # cells of continuous work (4.5 h) allowed before a meal break

Seats = dict[int, dict[int, int]]  # operator_id -> cell -> window_id


@dataclass
class DayPlan:
    """A day's plan on the grid. An operator on shift but not seated (a relief between others'
    breaks, say) is working all the same: the labour rules and the workload count the shift."""

    shifts: dict[int, tuple[int, ...]] = field(default_factory=dict)  # operator -> work cells, in order
    seats: Seats = field(default_factory=dict)  # operator -> cell -> window, within the shift

    def only(self, operators) -> "DayPlan":
        keep = set(operators)
        return DayPlan({o: c for o, c in self.shifts.items() if o in keep},
                       {o: c for o, c in self.seats.items() if o in keep})


def overlap(a: int, b: int, spans_: list[Span]) -> int:
    return sum(max(0, min(b, e) - max(a, s)) for s, e in spans_)


@dataclass
class DayGrid:
    start: int  # minute of the day where cell 0 begins
    open: list[bool]  # staff can work the cell
    reception: list[bool]  # an open cell with reception hours in it: someone should be at a window
    demand: dict[str, list[int]]  # service -> minutes of service wanted per cell
    unreachable: dict[str, float]  # demand outside reception hours: unmet whatever the plan

    @property
    def n(self) -> int:
        return len(self.open)

    def time(self, c: int) -> time:
        return clock(self.start + c * CELL)


def make_grid(day: Day, hourly: dict[tuple[int, str], float]) -> DayGrid:
    """The grid of an open `day`; `hourly` maps (hour, service) to minutes of service wanted."""
    work, rec = spans(day.open), spans(day.reception)
    start = work[0][0]
    cells = [(a, a + CELL) for a in range(start, work[-1][1] - CELL + 1, CELL)]
    open_ = [covers(work, a, b) for a, b in cells]
    wanted: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(cells))
    unreachable: dict[str, float] = defaultdict(float)
    for (hour, service), minutes in hourly.items():
        h0, h1 = hour * 60, hour * 60 + 60
        total = overlap(h0, h1, rec)
        placed = 0.0
        for c, (a, b) in enumerate(cells):
            part = overlap(max(a, h0), min(b, h1), rec) if open_[c] and a < h1 and h0 < b else 0
            if part:
                wanted[service][c] += minutes * part / total
                placed += minutes * part / total
        if minutes - placed > 1e-9:
            unreachable[service] += minutes - placed
    return DayGrid(start, open_, [o and overlap(a, b, rec) > 0 for o, (a, b) in zip(open_, cells)],
                   {s: [round(m) for m in v] for s, v in wanted.items()}, dict(unreachable))


def flows(grid: DayGrid, at: Seats, offers: dict[tuple[int, int], frozenset[str]]) -> dict[tuple[int, str, int], int]:
    """Minutes served per (window, service, cell): per cell, a max flow from staffed windows to demand.

    `offers[operator_id, window_id]` is what that operator serves at that window. One evaluator for
    the CP-SAT plan and the greedy one, so their unmet figures are comparable.
    """
    staffed = defaultdict(list)
    for op, cells in at.items():
        for c, w in cells.items():
            staffed[c].append((w, offers[op, w]))
    out = {}
    for c, desks in staffed.items():
        wanted = {s: v[c] for s, v in grid.demand.items() if v[c] > 0}
        if not wanted:
            continue
        names = sorted(wanted)
        flow = max_flow.SimpleMaxFlow()
        source, sink = 0, 1 + len(desks) + len(names)
        arcs = {}
        for k, (w, services) in enumerate(desks, start=1):
            flow.add_arc_with_capacity(source, k, CELL)
            for j, s in enumerate(names):
                if s in services:
                    arcs[w, s, c] = flow.add_arc_with_capacity(k, 1 + len(desks) + j, CELL)
        for j, s in enumerate(names):
            flow.add_arc_with_capacity(1 + len(desks) + j, sink, wanted[s])
        flow.solve(source, sink)
        out.update((key, flow.flow(arc)) for key, arc in arcs.items())
    return out


def served(grid: DayGrid, at: Seats, offers: dict[tuple[int, int], frozenset[str]]) -> dict[str, int]:
    """Minutes of demand met per service."""
    out: dict[str, int] = defaultdict(int)
    for (_, s, _), minutes in flows(grid, at, offers).items():
        out[s] += minutes
    return dict(out)
