"""Admission: a booking is accepted only if every booking of the office and day still gets a window.

Windows share services, so counting bookings per service over-promises. The check here is exact:
each booking needs one window that serves its service and is staffed for the booking's whole
interval, and the bookings on a window must not overlap (interval scheduling with eligibility:
NP-hard in general, small here). Acceptances are proven by an assignment: keep the stored one,
first-fit the newcomer, else move other bookings along short ejection chains. Refusals are proven
by a moment when the bookings present cannot be matched to distinct windows (Hall's condition),
else CP-SAT decides; if it runs out of time the answer is "no", flagged as not exact.
"""
from bisect import bisect_left
from dataclasses import dataclass
from datetime import time
from time import perf_counter

from ortools.sat.python import cp_model

from .intervals import Interval, Span, covers, minutes, spans

MAX_DEPTH = 4  # ejection chains longer than this are left to CP-SAT
MAX_EJECT = 2  # bookings pushed off a window in one move
NODE_BUDGET = 400  # ejection moves tried per admission: keeps the fast path fast when it cannot succeed


@dataclass(frozen=True)
class WindowAvailability:
    """A window as a bookable resource: the services it offers while staffed in `intervals`.

    A window may appear more than once (e.g. once per operator of the day); entries of one window
    must not overlap in time.
    """

    window_id: int
    services: frozenset[str]
    intervals: tuple[Interval, ...]


@dataclass(frozen=True)
class BookingInterval:
    booking_id: int | str
    service: str
    start: time
    end: time
    window_id: int | None = None  # the stored assignment, if any

    def __post_init__(self):
        if not self.start < self.end:
            raise ValueError(f"booking {self.booking_id}: empty interval")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    assignment: dict  # booking_id -> window_id for every booking of the day, new one included (empty if refused)
    exact: bool  # False only when the exact check ran out of time (then ok is False: never over-promise)
    method: str  # first_fit | ejection | cp_sat | no_window | hall | infeasible | timeout


class _Problem:
    """The day in minutes; `elig` is memoised per (service, start, end) because slots repeat."""

    def __init__(self, windows: list[WindowAvailability], bookings: list[BookingInterval]):
        self.windows = windows
        self.res_spans = [spans(w.intervals) for w in windows]
        self.bookings = bookings
        self.items = [(minutes(b.start), minutes(b.end), b.service) for b in bookings]
        self._elig: dict[tuple, tuple[int, ...]] = {}

    def fits(self, r: int, i: int) -> bool:
        s, e, svc = self.items[i]
        return svc in self.windows[r].services and covers(self.res_spans[r], s, e)

    def elig(self, i: int) -> tuple[int, ...]:
        key = self.items[i]
        if key not in self._elig:
            self._elig[key] = tuple(r for r in range(len(self.windows)) if self.fits(r, i))
        return self._elig[key]


class _Board:
    """Bookings placed on resources, sorted by start; every change is journalled so it can be undone."""

    def __init__(self, prob: _Problem):
        self.items = prob.items
        self.starts: list[list[int]] = [[] for _ in prob.windows]
        self.ids: list[list[int]] = [[] for _ in prob.windows]
        self.where: dict[int, int] = {}
        self.log: list[tuple[int, int, bool]] = []

    def conflicts(self, r: int, s: int, e: int) -> list[int]:
        # Bookings on one resource do not overlap, so their ends are sorted like their starts.
        ids, out = self.ids[r], []
        k = bisect_left(self.starts[r], e)
        while k > 0 and self.items[ids[k - 1]][1] > s:
            k -= 1
            out.append(ids[k])
        return out

    def _put(self, i: int, r: int):
        k = bisect_left(self.starts[r], self.items[i][0])
        self.starts[r].insert(k, self.items[i][0])
        self.ids[r].insert(k, i)
        self.where[i] = r

    def _take(self, i: int) -> int:
        r = self.where.pop(i)
        k = self.ids[r].index(i)
        del self.starts[r][k], self.ids[r][k]
        return r

    def place(self, i: int, r: int):
        self._put(i, r)
        self.log.append((i, r, True))

    def remove(self, i: int):
        self.log.append((i, self._take(i), False))

    def undo(self, mark: int):
        while len(self.log) > mark:
            i, r, placed = self.log.pop()
            if placed:
                self._take(i)
            else:
                self._put(i, r)


def _insert(board: _Board, prob: _Problem, i: int, depth: int, path: frozenset, budget: list[int]) -> bool:
    """Place booking i, ejecting at most MAX_EJECT bookings per move and re-placing them recursively."""
    s, e, _ = prob.items[i]
    options = []
    for r in prob.elig(i):
        hit = board.conflicts(r, s, e)
        if not hit:
            board.place(i, r)
            return True
        options.append((len(hit), r, hit))
    if depth == 0:
        return False
    path = path | {i}  # bookings of the current chain stay put, so a chain never undoes itself
    for n, r, hit in sorted(options):
        if n > MAX_EJECT or path.intersection(hit) or budget[0] <= 0:
            continue
        budget[0] -= 1
        mark = len(board.log)
        for j in hit:
            board.remove(j)
        board.place(i, r)
        if all(_insert(board, prob, j, depth - 1, path, budget) for j in hit):
            return True
        board.undo(mark)
    return False


def _matchable(prob: _Problem, active: list[int]) -> bool:
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


def _hall_fails(prob: _Problem, i: int) -> bool:
    """A necessary condition, checked at every moment during booking i where someone arrives."""
    s, e, _ = prob.items[i]
    near = [j for j, (bs, be, _) in enumerate(prob.items) if bs < e and s < be]
    moments = sorted({s} | {prob.items[j][0] for j in near if prob.items[j][0] > s})
    return any(not _matchable(prob, [j for j in near if prob.items[j][0] <= t < prob.items[j][1]])
               for t in moments)


def _components(prob: _Problem) -> list[list[int]]:
    """Groups of bookings chained by overlapping in time; separate groups never compete for a window."""
    order = sorted(range(len(prob.items)), key=lambda i: prob.items[i][:2])
    groups: list[list[int]] = []
    reach = -1
    for i in order:
        s, e, _ = prob.items[i]
        if s >= reach:
            groups.append([])
        groups[-1].append(i)
        reach = max(reach, e)
    return groups


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


def _solve_exact(prob: _Problem, board: _Board, group: list[int], time_limit_s: float) -> str:
    """CP-SAT on one group; on success the board holds its assignment. Returns the CP-SAT status name."""
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    per_res: dict[int, list[tuple[int, int, int]]] = {}
    for i in group:
        for r in prob.elig(i):
            x[i, r] = model.new_bool_var(f"x{i}_{r}")
            model.add_hint(x[i, r], board.where.get(i) == r)
            per_res.setdefault(r, []).append((prob.items[i][0], prob.items[i][1], i))
        model.add_exactly_one(x[i, r] for r in prob.elig(i))
    for r, members in per_res.items():
        for clique in _cliques(members):
            model.add_at_most_one(x[i, r] for i in clique)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.01)
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for i in group:
            if i in board.where:
                board.remove(i)
        for (i, r), var in x.items():
            if solver.boolean_value(var):
                board.place(i, r)
    return solver.status_name(status)


def admit(windows: list[WindowAvailability], existing: list[BookingInterval], new: BookingInterval,
          time_limit_s: float = 0.5) -> Verdict:
    """Whether `new` can join `existing` (all bookings of one office and day) with every booking on a window."""
    bookings = [*existing, new]
    prob = _Problem(windows, bookings)
    board = _Board(prob)
    by_window: dict[int, list[int]] = {}
    for r, w in enumerate(windows):
        by_window.setdefault(w.window_id, []).append(r)
    pending = []
    for i, b in enumerate(existing):
        r = next((r for r in by_window.get(b.window_id, ()) if prob.fits(r, i)), None)
        s, e, _ = prob.items[i]
        if r is not None and not board.conflicts(r, s, e):
            board.place(i, r)
        else:
            pending.append(i)  # no stored window, or it no longer fits (e.g. the plan changed)
    pending.append(len(existing))
    if any(not prob.elig(i) for i in pending):
        return Verdict(False, {}, True, "no_window")

    method = "first_fit"
    if not all(_insert(board, prob, i, 0, frozenset(), [0]) for i in pending):
        if _hall_fails(prob, len(existing)):
            return Verdict(False, {}, True, "hall")
        budget = [NODE_BUDGET]
        method = "ejection"
        for i in pending:
            if i not in board.where and not any(
                    _insert(board, prob, i, depth, frozenset(), budget) for depth in range(1, MAX_DEPTH + 1)):
                method = "cp_sat"
    if method == "cp_sat":
        deadline = perf_counter() + time_limit_s
        for group in _components(prob):
            if any(i not in board.where for i in group):
                status = _solve_exact(prob, board, group, deadline - perf_counter())
                if status == "INFEASIBLE":
                    return Verdict(False, {}, True, "infeasible")
                if status not in ("OPTIMAL", "FEASIBLE"):
                    return Verdict(False, {}, False, "timeout")
    return Verdict(True, {bookings[i].booking_id: windows[r].window_id for i, r in board.where.items()},
                   True, method)
