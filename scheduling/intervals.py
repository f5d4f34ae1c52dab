"""Local wall-clock intervals as minutes since midnight.

The domain computes in minutes of the local day: an office's hours are defined on the wall clock,
so 09:00-16:00 stays 09:00-16:00 on the 23 h and 25 h days (the DST change happens at 03:00-04:00,
when no office is open). Real instants are made only at the edge, by `calendar.aware`.
"""
from datetime import time

Interval = tuple[time, time]
Span = tuple[int, int]  # [start, end) in minutes since local midnight


def minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def clock(m: int) -> time:
    return time(m // 60, m % 60)


def spans(intervals) -> list[Span]:
    """Sorted, merged minute spans of (time, time) intervals; empty ones dropped."""
    return merge((minutes(a), minutes(b)) for a, b in intervals)


def times(spans_: list[Span]) -> list[Interval]:
    return [(clock(a), clock(b)) for a, b in spans_]


def merge(spans_) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(s for s in spans_ if s[0] < s[1]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(base: list[Span], cuts: list[Span]) -> list[Span]:
    """`base` with every minute of `cuts` removed (both sorted and merged)."""
    out = []
    for a, b in base:
        for c, d in cuts:
            if d <= a or c >= b:
                continue
            if c > a:
                out.append((a, c))
            a = max(a, d)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
    return out


def covers(spans_: list[Span], a: int, b: int) -> bool:
    """Whether [a, b) lies inside one of the merged `spans_` (so it crosses no gap)."""
    for s, e in spans_:  # a plain loop: this runs for every booking of a day on every admission
        if s <= a and b <= e:
            return True
    return False
