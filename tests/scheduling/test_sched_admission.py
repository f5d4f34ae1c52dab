"""Admission: exact on small days (checked against a brute force), and moves bookings when it must."""
from dataclasses import replace
from datetime import time
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling import BookingInterval, WindowAvailability, admission, admit

T = time.fromisoformat


def clock(m):
    return time(m // 60, m % 60)


def window(wid, services, *pairs):
    return WindowAvailability(wid, frozenset(services), tuple((T(a), T(b)) for a, b in pairs))


def assert_valid(windows, bookings, assignment):
    """Every booking on a window id whose entry serves it over its whole interval, no overlaps per window."""
    assert set(assignment) == {b.booking_id for b in bookings}
    by_window = {}
    for b in bookings:
        wid = assignment[b.booking_id]
        assert any(w.window_id == wid and b.service in w.services
                   and any(a <= b.start and b.end <= z for a, z in w.intervals) for w in windows)
        by_window.setdefault(wid, []).append((b.start, b.end))
    for spans in by_window.values():
        spans.sort()
        assert all(e <= s for (_, e), (s, _) in zip(spans, spans[1:]))


def test_first_fit_keeps_stored_windows():
    windows = [window(1, "x", ("09:00", "12:00")), window(2, "x", ("09:00", "12:00"))]
    existing = [BookingInterval(1, "x", T("09:00"), T("09:30"), 2)]
    v = admit(windows, existing, BookingInterval(2, "x", T("09:00"), T("09:30")))
    assert v.ok and v.exact and v.method == "first_fit" and v.assignment == {1: 2, 2: 1}


def test_moves_a_booking_to_a_window_that_also_serves_it():
    # Window 1 serves x and y, window 2 only x. An x booking sits on window 1; a y arrives.
    windows = [window(1, "xy", ("09:00", "12:00")), window(2, "x", ("09:00", "12:00"))]
    existing = [BookingInterval("a", "x", T("10:00"), T("10:30"), 1)]
    v = admit(windows, existing, BookingInterval("b", "y", T("10:15"), T("10:45")))
    assert v.ok and v.method == "ejection" and v.assignment == {"a": 2, "b": 1}


def test_refuses_when_per_service_counting_would_accept():
    # Two windows, two services, each service offered by one window only... and both on window 1.
    windows = [window(1, "xy", ("09:00", "12:00")), window(2, "z", ("09:00", "12:00"))]
    existing = [BookingInterval(1, "x", T("09:00"), T("09:30"), 1)]
    v = admit(windows, existing, BookingInterval(2, "y", T("09:15"), T("09:45")))
    assert not v.ok and v.exact and v.assignment == {}


def test_a_booking_keeps_one_window_for_its_whole_interval():
    # Window 1 is free 09:00-09:30, window 2 from 09:30: a 09:00-10:00 booking fits neither alone.
    windows = [window(1, "x", ("09:00", "09:30")), window(2, "x", ("09:30", "12:00"))]
    assert not admit(windows, [], BookingInterval(1, "x", T("09:00"), T("10:00"))).ok
    busy = [window(1, "xy", ("09:00", "12:00")), window(2, "xz", ("09:00", "12:00"))]
    existing = [BookingInterval(1, "y", T("09:00"), T("09:30"), 1), BookingInterval(2, "z", T("09:30"), T("10:00"), 2)]
    v = admit(busy, existing, BookingInterval(3, "x", T("09:00"), T("10:00")))
    assert not v.ok and v.exact  # every moment has a free window, but never the same one
    existing[1] = BookingInterval(2, "z", T("10:00"), T("10:30"), 2)
    assert admit(busy, existing, BookingInterval(3, "x", T("09:00"), T("10:00"))).assignment[3] == 2


def test_stale_assignments_are_replaced_and_unplaceable_days_refused():
    windows = [window(1, "x", ("09:00", "12:00")), window(2, "x", ("09:00", "12:00"))]
    stale = [BookingInterval(1, "x", T("09:00"), T("09:30"), 7), BookingInterval(2, "x", T("09:00"), T("09:30"), 7)]
    v = admit(windows, stale, BookingInterval(3, "x", T("10:00"), T("10:30")))
    assert v.ok
    assert_valid(windows, stale + [BookingInterval(3, "x", T("10:00"), T("10:30"))], v.assignment)
    v = admit(windows[:1], stale, BookingInterval(3, "x", T("10:00"), T("10:30")))
    assert not v.ok  # the plan lost a window: the day cannot hold what it holds, admit nothing more
    assert admit(windows, [], BookingInterval(1, "x", T("11:45"), T("12:15"))).method == "no_window"


def test_a_window_may_appear_once_per_operator():
    # Window 5 staffed by two operators in turn, with different skills.
    windows = [window(5, "x", ("09:00", "12:00")), window(5, "y", ("12:00", "16:00"))]
    assert admit(windows, [], BookingInterval(1, "y", T("13:00"), T("13:30"))).assignment == {1: 5}
    assert not admit(windows, [], BookingInterval(1, "y", T("11:00"), T("11:30"))).ok
    assert not admit(windows, [], BookingInterval(1, "x", T("11:45"), T("12:15"))).ok


def test_cp_sat_decides_when_short_chains_do_not():
    # A chain of four moves: only the exact step finds it.
    services = ["ab", "bc", "cd", "de", "ef"]
    windows = [window(k, s, ("09:00", "10:00")) for k, s in enumerate(services)]
    existing = [BookingInterval(k, s[1], T("09:00"), T("10:00"), k) for k, s in enumerate(services[:4])]
    v = admit(windows, existing, BookingInterval(9, "a", T("09:00"), T("10:00")))
    assert v.ok and v.method == "cp_sat" and v.assignment == {0: 1, 1: 2, 2: 3, 3: 4, 9: 0}


windows_st = st.lists(
    st.tuples(st.frozensets(st.sampled_from("abc"), min_size=1),
              st.one_of(st.just((0, 12)), st.tuples(st.integers(0, 10), st.integers(2, 12)))),
    min_size=2, max_size=4)
requests_st = st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 20), st.sampled_from([10, 20, 30, 40])),
                       min_size=1, max_size=30)


def availability(spec):
    """Window specs to WindowAvailability: all of 09:00-13:00 or a stretch of it on a 20-minute grid."""
    return [WindowAvailability(k, services, ((clock(540 + 20 * a), clock(min(540 + 20 * (a + n), 780))),))
            for k, (services, (a, n)) in enumerate(spec)]


@pytest.mark.parametrize("stored, chains", [(True, True), (False, True), (False, False)],
                         ids=["stored windows", "no stored windows", "no ejection chains"])
@settings(max_examples=200, deadline=None, database=None)
@given(spec=windows_st, requests=requests_st)
def test_property_admission_is_exact(feasible, stored, chains, spec, requests):
    """Admitted one by one: the admitted set always fits (and the assignment shows how), and a
    request that would keep the day feasible is never refused. Forgetting the stored windows makes
    first fit fail often, and without ejection chains all of that goes to CP-SAT."""
    windows = availability(spec)
    existing = []
    with mock.patch.object(admission, "NODE_BUDGET", admission.NODE_BUDGET if chains else 0):
        for n, (service, slot, duration) in enumerate(requests):
            start = 540 + 10 * slot
            new = BookingInterval(n, service, clock(start), clock(min(start + duration, 780)))
            verdict = admit(windows, existing if stored else [replace(b, window_id=None) for b in existing], new)
            assert verdict.exact  # small days never run out of time
            assert verdict.ok == feasible(windows, existing + [new])
            if verdict.ok:
                existing = [replace(b, window_id=verdict.assignment[b.booking_id]) for b in existing + [new]]
                assert_valid(windows, existing, verdict.assignment)


crowded_windows_st = st.lists(st.frozensets(st.sampled_from("ab"), min_size=1), min_size=2, max_size=4)
bookings_st = st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 9), st.sampled_from([20, 30, 40, 60])),
                       min_size=2, max_size=10)


@settings(max_examples=300, deadline=None, database=None)
@given(services=crowded_windows_st, booked=bookings_st)
def test_property_exact_step_on_crowded_days(feasible, services, booked):
    """Random crowded days with no stored windows and no ejection chains: first fit fails often,
    so Hall's condition and CP-SAT decide, and must agree with the brute force."""
    windows = [WindowAvailability(k, s, ((T("09:00"), T("13:00")),)) for k, s in enumerate(services)]
    day = [BookingInterval(n, s, clock(540 + 10 * k), clock(540 + 10 * k + d)) for n, (s, k, d) in enumerate(booked)]
    with mock.patch.object(admission, "NODE_BUDGET", 0):
        verdict = admit(windows, day[:-1], day[-1])
    assert verdict.ok == feasible(windows, day)
    if verdict.ok:
        assert_valid(windows, day, verdict.assignment)
