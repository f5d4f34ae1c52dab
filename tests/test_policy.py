"""The call-next policy, case by case (pure: no database)."""
from datetime import datetime, timedelta

from queue_app.policy import DUE_AFTER, DUE_BEFORE, PRIORITY_HEAD_START, Waiting, call_order
from scheduling import KYIV

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=KYIV)
ALL = frozenset({"a", "b"})


def ago(minutes):
    return NOW - timedelta(minutes=minutes)


def ids(order):
    return [t.id for t in order]


def test_first_come_first_served():
    waiting = [Waiting(2, "a", ago(5)), Waiting(1, "a", ago(10)), Waiting(3, "b", ago(1))]
    assert ids(call_order(NOW, waiting, ALL)) == [1, 2, 3]


def test_only_services_of_the_window():
    waiting = [Waiting(1, "a", ago(30)), Waiting(2, "b", ago(5))]
    assert ids(call_order(NOW, waiting, frozenset({"b"}))) == [2]
    assert call_order(NOW, waiting, frozenset({"c"})) == []


def test_booking_due_now_goes_before_a_long_wait():
    waiting = [Waiting(1, "a", ago(50)), Waiting(2, "a", ago(3), booked_at=NOW + timedelta(minutes=5))]
    assert ids(call_order(NOW, waiting, ALL)) == [2, 1]


def test_due_bookings_in_booked_order():
    waiting = [Waiting(1, "a", ago(1), booked_at=NOW), Waiting(2, "a", ago(20), booked_at=ago(10))]
    assert ids(call_order(NOW, waiting, ALL)) == [2, 1]


def test_booking_checked_in_early_waits_for_its_time():
    early = Waiting(1, "a", ago(1), booked_at=NOW + DUE_BEFORE + timedelta(minutes=5))
    walk_in = Waiting(2, "a", ago(1))
    assert ids(call_order(NOW, [early, walk_in], ALL)) == [2]
    later = NOW + timedelta(minutes=6)
    assert ids(call_order(later, [early, walk_in], ALL)) == [1, 2]


def test_booking_past_its_tolerance_queues_from_its_booked_time():
    lapsed = Waiting(1, "a", ago(60), booked_at=NOW - DUE_AFTER - timedelta(minutes=1))
    walk_in_before = Waiting(2, "a", ago(40))
    walk_in_after = Waiting(3, "a", ago(5))
    assert ids(call_order(NOW, [lapsed, walk_in_before, walk_in_after], ALL)) == [2, 1, 3]


def test_priority_goes_ahead_of_recent_arrivals():
    waiting = [Waiting(1, "a", ago(10)), Waiting(2, "a", ago(1), priority=True)]
    assert ids(call_order(NOW, waiting, ALL)) == [2, 1]


def test_long_wait_beats_priority_so_no_one_starves():
    head_start = PRIORITY_HEAD_START.total_seconds() / 60
    waiting = [Waiting(1, "a", ago(head_start + 5)), Waiting(2, "a", ago(1), priority=True)]
    assert ids(call_order(NOW, waiting, ALL)) == [1, 2]


def test_booking_due_beats_priority():
    waiting = [Waiting(1, "a", ago(1), priority=True), Waiting(2, "a", ago(1), booked_at=NOW)]
    assert ids(call_order(NOW, waiting, ALL)) == [2, 1]


def test_ties_are_broken_by_ticket_id():
    waiting = [Waiting(5, "a", ago(3)), Waiting(4, "a", ago(3))]
    assert ids(call_order(NOW, waiting, ALL)) == [4, 5]
