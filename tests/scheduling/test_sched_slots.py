"""Bookable slots: inside reception, stepped by duration, walk-ins kept, notice and horizon, free places."""
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling import (BookingInterval, Day, DayOverride, DayTemplate, OfficeCalendar, WindowAvailability,
                        admit, aware, day_for, slots_for)
from scheduling.slots import walk_in_reserve

T = time.fromisoformat
MONDAY = date(2026, 8, 24)
EARLY = aware(MONDAY - timedelta(days=1), T("12:00"))  # the day before: nothing is too soon


def unit_day(unit_cal, d=MONDAY):
    return day_for(unit_cal, d)  # reception 09:00-12:30 and 13:00-16:00


def window(wid, services, *pairs):
    return WindowAvailability(wid, frozenset(services), tuple((T(a), T(b)) for a, b in pairs))


def starts(slots):
    return [s.start.strftime("%H:%M") for s in slots]


def test_slots_step_by_duration_and_never_cross_the_break_or_closing(unit_cal):
    day = unit_day(unit_cal)
    slots = slots_for(day, 20, [window(1, "x", ("09:00", "16:00"))], [], "x", 0.0, EARLY)
    assert starts(slots)[:3] == ["09:00", "09:20", "09:40"]
    assert "12:00" in starts(slots) and "12:20" not in starts(slots)  # 12:20-12:40 would cross the break
    assert starts(slots)[starts(slots).index("12:00") + 1] == "13:00"  # the grid restarts after the break
    assert slots[-1].start == T("15:40") and slots[-1].end == T("16:00")
    assert all(s.end.hour * 60 + s.end.minute - s.start.hour * 60 - s.start.minute == 20 for s in slots)
    assert len(slots) == 10 + 9 and all(s.capacity == s.free == 1 for s in slots)


def test_only_windows_that_serve_the_service_for_the_whole_slot_count(unit_cal):
    day = unit_day(unit_cal)
    windows = [window(1, "x", ("09:00", "11:00")), window(2, "xy", ("09:00", "16:00")), window(3, "y", ("09:00", "16:00"))]
    slots = {s.start: s for s in slots_for(day, 30, windows, [], "x", 0.0, EARLY)}
    assert slots[T("10:30")].capacity == 2 and slots[T("11:00")].capacity == 1
    assert slots_for(day, 30, windows, [], "z", 0.0, EARLY) == []


def test_walk_in_share_is_rounded_across_the_day():
    assert walk_in_reserve([1] * 6, 0.5) == [0, 1, 0, 1, 0, 1]  # every other slot, not none or all
    assert walk_in_reserve([2] * 3, 0.5) == [1, 1, 1]
    assert walk_in_reserve([3] * 3, 1 / 3) == [1, 1, 1]
    assert sum(walk_in_reserve([1] * 10, 0.3)) == 3
    assert walk_in_reserve([4, 4], 0.0) == [0, 0] and walk_in_reserve([4, 4], 1.0) == [4, 4]


def test_walk_in_share_leaves_every_other_slot_for_one_window(unit_cal):
    day = unit_day(unit_cal)
    one = slots_for(day, 30, [window(1, "x", ("09:00", "16:00"))], [], "x", 0.5, EARLY)
    assert starts(one)[:3] == ["09:00", "10:00", "11:00"] and all(s.capacity == 1 for s in one)
    two = slots_for(day, 30, [window(1, "x", ("09:00", "16:00")), window(2, "x", ("09:00", "16:00"))], [], "x", 0.5, EARLY)
    assert len(two) == 13 and all(s.capacity == 1 for s in two)


def test_minimum_notice_and_horizon(unit_cal):
    day, windows = unit_day(unit_cal), [window(1, "x", ("09:00", "16:00"))]
    now = aware(MONDAY, T("10:05"))
    assert starts(slots_for(day, 20, windows, [], "x", 0.0, now, min_notice_min=60))[0] == "11:20"
    assert starts(slots_for(day, 20, windows, [], "x", 0.0, now, min_notice_min=0))[0] == "10:20"
    month_before = aware(MONDAY - timedelta(days=31), T("10:00"))
    assert slots_for(day, 20, windows, [], "x", 0.0, month_before, horizon_days=30) == []
    assert slots_for(day, 20, windows, [], "x", 0.0, month_before, horizon_days=31) != []
    assert slots_for(day, 20, windows, [], "x", 0.0, aware(MONDAY + timedelta(days=1), T("08:00"))) == []


def test_notice_counts_real_minutes_across_the_march_change(main_cal):
    # An extra opening on the DST Sunday itself: 01:00 +02:00 plus 8 h is 10:00 +03:00, not 09:00.
    extra = DayTemplate(((T("09:00"), T("12:00")),), ((T("09:00"), T("12:00")),))
    cal = OfficeCalendar(main_cal.regimes, [DayOverride(date(2026, 3, 29), extra)])
    windows = [window(1, "x", ("09:00", "12:00"))]
    slots = slots_for(day_for(cal, date(2026, 3, 29)), 30, windows, [], "x", 0.0,
                      aware(date(2026, 3, 29), T("01:00")), min_notice_min=8 * 60)
    assert starts(slots)[0] == "10:00"


def test_notice_counts_real_minutes_across_the_october_change(main_cal):
    # 01:00 +03:00 plus 10 h is 10:00 +02:00 (a wall-clock sum would say 11:00).
    extra = DayTemplate(((T("09:00"), T("12:00")),), ((T("09:00"), T("12:00")),))
    cal = OfficeCalendar(main_cal.regimes, [DayOverride(date(2026, 10, 25), extra)])
    now = datetime(2026, 10, 24, 22, 0, tzinfo=timezone.utc)  # = 01:00 local on the 25th
    slots = slots_for(day_for(cal, date(2026, 10, 25)), 30, [window(1, "x", ("09:00", "12:00"))], [], "x", 0.0,
                      now, min_notice_min=10 * 60)
    assert starts(slots)[0] == "10:00"


def test_slots_on_the_working_days_after_both_changes(main_cal):
    windows = [window(1, "x", ("09:00", "20:00"))]
    for d, offset in ((date(2026, 3, 30), 3), (date(2026, 3, 31), 3), (date(2026, 10, 26), 2), (date(2026, 10, 27), 2)):
        day = day_for(main_cal, d)
        slots = slots_for(day, 60, windows, [], "x", 0.0, aware(d - timedelta(days=2), T("12:00")))
        last = "15:00" if d.weekday() == 0 else "19:00"  # Monday to 16:00, Tuesday to 20:00
        assert (starts(slots)[0], starts(slots)[-1]) == ("09:00", last)
        assert aware(d, slots[0].start).utcoffset() == timedelta(hours=offset)


def test_free_places_fall_with_bookings_of_any_service_on_shared_windows(unit_cal):
    day = unit_day(unit_cal)
    windows = [window(1, "x", ("09:00", "16:00")), window(2, "xy", ("09:00", "16:00"))]

    def free_at(bookings, service="x", start=T("09:00")):
        return next(s.free for s in slots_for(day, 30, windows, bookings, service, 0.0, EARLY) if s.start == start)

    first = BookingInterval(1, "x", T("09:00"), T("09:30"), 1)
    assert free_at([]) == 2
    assert free_at([first]) == 1
    assert free_at([first, BookingInterval(2, "x", T("09:00"), T("09:30"), 2)]) == 0
    # A booking of another service on the shared window takes the place too: counting per service would not see it.
    assert free_at([first, BookingInterval(3, "y", T("09:15"), T("09:45"), 2)]) == 0
    assert free_at([BookingInterval(3, "y", T("09:15"), T("09:45"), 2)], "y", T("09:30")) == 0


reception_days = st.builds(
    lambda a, b, c, d: [(a, b), (c, d)],
    st.integers(8 * 60, 10 * 60), st.integers(11 * 60, 12 * 60 + 45), st.integers(13 * 60, 14 * 60),
    st.integers(15 * 60, 19 * 60))


def clock(m):
    return time(m // 60, m % 60)


@settings(max_examples=60, deadline=None, database=None)
@given(reception=reception_days, duration=st.sampled_from([10, 15, 20, 25, 30, 45, 60]),
       share=st.sampled_from([0.0, 0.3, 0.5]), staffed=st.lists(st.tuples(st.integers(480, 1200), st.integers(15, 600)),
                                                                 min_size=1, max_size=3))
def test_property_no_slot_outside_reception_or_across_a_break(reception, duration, share, staffed):
    day = Day(MONDAY, [(clock(480), clock(1200))], [(clock(a), clock(b)) for a, b in reception], "", "", False)
    windows = [window(k, "x", (clock(a).strftime("%H:%M"), clock(min(a + n, 1260)).strftime("%H:%M")))
               for k, (a, n) in enumerate(staffed, start=1)]
    for s in slots_for(day, duration, windows, [], "x", share, EARLY):
        a, b = s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute
        assert b - a == duration
        assert any(lo <= a and b <= hi for lo, hi in reception)
        assert any((a - lo) % duration == 0 for lo, hi in reception if lo <= a < hi)
        assert 0 < s.capacity and 0 <= s.free <= s.capacity


services = st.sampled_from("abc")


@settings(max_examples=60, deadline=None, database=None)
@given(windows=st.lists(st.frozensets(services, min_size=1), min_size=1, max_size=3),
       booked=st.lists(st.tuples(services, st.integers(0, 11), st.sampled_from([20, 30, 40])), max_size=8),
       service=services, duration=st.sampled_from([20, 30]))
def test_property_free_is_exact_for_every_slot(feasible, windows, booked, service, duration):
    """With no walk-in share: a slot offers exactly as many places as can still be added there."""
    day = Day(MONDAY, [(T("09:00"), T("13:00"))], [(T("09:00"), T("13:00"))], "", "", False)
    avail = [WindowAvailability(k, w, ((T("09:00"), T("13:00")),)) for k, w in enumerate(windows)]
    existing = []
    for n, (svc, k, d) in enumerate(booked):  # admitted one by one, so the day is feasible
        b = BookingInterval(n, svc, clock(540 + 20 * k), clock(min(540 + 20 * k + d, 780)))
        verdict = admit(avail, existing, b)
        if verdict.ok:
            existing = [BookingInterval(x.booking_id, x.service, x.start, x.end, verdict.assignment[x.booking_id])
                        for x in existing + [b]]
    for slot in slots_for(day, duration, avail, existing, service, 0.0, EARLY):
        here = sum(1 for b in existing if b.service == service and slot.start <= b.start < slot.end)
        assert 0 <= slot.free <= max(slot.capacity - here, 0)
        probes = [BookingInterval(f"p{n}", service, slot.start, slot.end) for n in range(slot.free + 1)]
        assert feasible(avail, existing + probes[:slot.free])
        if slot.free < slot.capacity - here:  # fewer places than windows: one more must not fit
            assert not feasible(avail, existing + probes)
