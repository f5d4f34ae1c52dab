"""Bookings of one office day placed on windows: the problem in minutes, and the fast path.

The fast path keeps a valid partial assignment (the board) and places a booking by first fit, else
by short ejection chains: put it on a window, push off at most MAX_EJECT bookings there and place
those the same way, to a bounded depth and node budget. Every change is journalled, so a chain
that fails is rolled back exactly.
"""
from bisect import bisect_left

from .intervals import covers, minutes, spans

MAX_DEPTH = 3  # ejection chains longer than this are left to CP-SAT
MAX_EJECT = 2  # bookings pushed off a window in one move
NODE_BUDGET = 60  # ejection moves per admission: successes rarely need more, failures would burn them all


class Problem:
    """Windows (resources, which may repeat a window id) and bookings as minute intervals.

    `elig` is memoised per (start, end, service) because bookings repeat the same slots."""

    def __init__(self, windows: list, bookings: list):
        self.windows = windows
        self.res_spans = [spans(w.intervals) for w in windows]
        self.bookings = bookings
        self.items = [(minutes(b.start), minutes(b.end), b.service) for b in bookings]
        self._elig: dict[tuple, tuple[int, ...]] = {}

    def add(self, booking) -> int:
        self.bookings.append(booking)
        self.items.append((minutes(booking.start), minutes(booking.end), booking.service))
        return len(self.items) - 1

    def fits(self, r: int, i: int) -> bool:
        s, e, service = self.items[i]
        return service in self.windows[r].services and covers(self.res_spans[r], s, e)

    def elig(self, i: int) -> tuple[int, ...]:
        key = self.items[i]
        if key not in self._elig:
            self._elig[key] = tuple(r for r in range(len(self.windows)) if self.fits(r, i))
        return self._elig[key]


class Board:
    """A valid partial assignment, bookings per resource sorted by start; changes are journalled."""

    def __init__(self, prob: Problem):
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


def insert(board: Board, prob: Problem, i: int, depth: int, budget: list[int], path: frozenset = frozenset()) -> bool:
    """Place booking i: first fit, else (depth > 0) eject and re-place up to MAX_EJECT bookings."""
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
        if all(insert(board, prob, j, depth - 1, budget, path) for j in hit):
            return True
        board.undo(mark)
    return False
