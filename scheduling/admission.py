"""Admission: a booking is accepted only if every booking of the office and day still gets a window.

Windows share services, so counting bookings per service over-promises. The check here is exact:
each booking needs one window that serves its service and is staffed for the booking's whole
interval, and the bookings on a window must not overlap (interval scheduling with eligibility:
NP-hard in general, small on a real day). Steps, cheapest first (see `placement`, `placement_exact`):
keep the stored assignment and first-fit the newcomer; refuse if Hall's condition fails at some
moment; try short ejection chains; then let CP-SAT decide each affected group of overlapping
bookings. If CP-SAT runs out of time, the answer is "no", flagged as not exact: never over-promise.
"""
from dataclasses import dataclass
from datetime import time
from time import perf_counter

from .intervals import Interval
from .placement import MAX_DEPTH, NODE_BUDGET, Board, Problem, insert
from .placement_exact import groups, hall_fails, solve_exact


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
    method: str  # the deciding step: no_window | first_fit | hall | ejection | cp_sat | timeout


class DayBook:
    """The bookings of one office day on its windows. `admit` adds a booking if the day stays
    feasible; `mark`/`rollback` take tentative ones back out (how slots count their free places)."""

    def __init__(self, windows: list[WindowAvailability], bookings: list[BookingInterval]):
        self.prob = Problem(windows, list(bookings))
        self.board = Board(self.prob)
        by_window: dict[int, list[int]] = {}
        for r, w in enumerate(windows):
            by_window.setdefault(w.window_id, []).append(r)
        self.pending = []  # no stored window, or it no longer fits (e.g. the plan changed)
        for i, b in enumerate(bookings):
            r = next((r for r in by_window.get(b.window_id, ()) if self.prob.fits(r, i)), None)
            if r is not None and not self.board.conflicts(r, *self.prob.items[i][:2]):
                self.board.place(i, r)
            else:
                self.pending.append(i)

    def mark(self) -> tuple[int, int]:
        return len(self.board.log), len(self.prob.items)

    def rollback(self, mark: tuple[int, int]):
        self.board.undo(mark[0])
        del self.prob.bookings[mark[1]:], self.prob.items[mark[1]:]

    def admit(self, new: BookingInterval, time_limit_s: float = 0.5) -> Verdict:
        """Add `new` if every booking keeps a window (on refusal the book is as it was)."""
        mark = self.mark()
        verdict = self._place(self.prob.add(new), time_limit_s)
        if not verdict.ok:
            self.rollback(mark)
        return verdict

    def _place(self, new: int, time_limit_s: float) -> Verdict:
        prob, board = self.prob, self.board
        todo = [i for i in self.pending if i not in board.where] + [new]
        if any(not prob.elig(i) for i in todo):
            return Verdict(False, {}, True, "no_window")
        method = "first_fit"
        if not all(insert(board, prob, i, 0, [0]) for i in todo):
            if hall_fails(prob, new):
                return Verdict(False, {}, True, "hall")
            method, budget = "ejection", [NODE_BUDGET]
            for i in todo:
                if i not in board.where and not any(insert(board, prob, i, depth, budget)
                                                    for depth in range(1, MAX_DEPTH + 1)):
                    method = "cp_sat"
        if method == "cp_sat":
            deadline = perf_counter() + time_limit_s
            for group in groups(prob):
                if any(i not in board.where for i in group):
                    status = solve_exact(prob, board, group, deadline - perf_counter())
                    if status == "INFEASIBLE":
                        return Verdict(False, {}, True, method)
                    if status not in ("OPTIMAL", "FEASIBLE"):
                        return Verdict(False, {}, False, "timeout")
        return Verdict(True, {prob.bookings[i].booking_id: prob.windows[r].window_id for i, r in board.where.items()},
                       True, method)


def admit(windows: list[WindowAvailability], existing: list[BookingInterval], new: BookingInterval,
          time_limit_s: float = 0.5) -> Verdict:
    """Whether `new` can join `existing` (all bookings of one office and day) with every booking on
    a window; `time_limit_s` bounds the CP-SAT step. Booking ids must be unique."""
    return DayBook(windows, existing).admit(new, time_limit_s)
