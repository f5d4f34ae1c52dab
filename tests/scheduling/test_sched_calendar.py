"""Calendars on named dates of the reference schedules (tests/scheduling/conftest.py, NOTES.md)."""
from datetime import date, time, timedelta, timezone

import pytest

from scheduling import DayOverride, DayTemplate, OfficeCalendar, Regime, aware, day_for, days_between

T = time.fromisoformat


def hours(*pairs):
    return [(T(a), T(b)) for a, b in pairs]


@pytest.mark.parametrize("d", [date(2026, 3, 3), date(2026, 3, 5)])  # a Tuesday and a Thursday
def test_main_office_long_days_receive_until_eight_without_a_break(main_cal, d):
    day = day_for(main_cal, d)
    assert day.open == hours(("08:30", "20:00"))
    assert day.reception == hours(("09:00", "20:00"))
    assert not day.appointment_only and day.is_open


def test_main_office_monday_receives_nine_to_four(main_cal):
    day = day_for(main_cal, date(2026, 3, 2))
    assert (day.open, day.reception) == (hours(("08:30", "17:00")), hours(("09:00", "16:00")))


def test_august_2026_fourth_saturday_is_open_and_the_last_one_closed(main_cal):
    saturdays = {d.date.day: d for d in days_between(main_cal, date(2026, 8, 1), date(2026, 8, 31))
                 if d.date.weekday() == 5}
    assert sorted(saturdays) == [1, 8, 15, 22, 29]  # five Saturdays: the 4th is not the last
    assert [n for n, d in saturdays.items() if d.is_open] == [22]
    assert saturdays[22].open == hours(("08:30", "12:30"), ("13:00", "17:00"))
    assert saturdays[22].reception == hours(("09:00", "12:30"), ("13:00", "16:00"))
    assert saturdays[29].open == [] and saturdays[29].reception == []
    assert not day_for(main_cal, date(2026, 8, 23)).is_open  # Sunday


def test_territorial_unit_cuts_its_lunch_break_out_of_both_kinds_of_hours(unit_cal):
    day = day_for(unit_cal, date(2026, 8, 24))  # a Monday
    assert day.open == hours(("08:30", "12:30"), ("13:00", "17:00"))
    assert day.reception == hours(("09:00", "12:30"), ("13:00", "16:00"))
    assert not day_for(unit_cal, date(2026, 8, 22)).is_open  # units have no 4th-Saturday opening


def test_quarantine_regime_over_its_date_range_then_the_normal_one(main_cal, regimes):
    wednesday, saturday = day_for(main_cal, date(2021, 10, 13)), day_for(main_cal, date(2021, 10, 16))
    for day in (wednesday, saturday):  # 16.10.2021 is the 3rd Saturday: open in quarantine anyway
        assert day.open == hours(("08:00", "12:30"), ("13:00", "15:30"))
        assert day.reception == hours(("08:00", "12:30"), ("13:00", "15:30"))
        assert day.appointment_only and day.regime == "Карантинний"
    after = day_for(main_cal, date(2022, 1, 5))
    assert after.reception == hours(("09:00", "16:00")) and not after.appointment_only
    assert after.regime == regimes["main"]["name"]
    assert not day_for(main_cal, date(2022, 1, 8)).is_open  # 2nd Saturday: closed again
    assert day_for(main_cal, date(2022, 1, 22)).is_open  # 4th Saturday


def test_higher_priority_wins_among_overlapping_ranged_regimes():
    short = DayTemplate(((T("10:00"), T("12:00")),), ((T("10:00"), T("12:00")),))
    base = Regime("base", {0: short})
    low = Regime("low", {0: short}, valid_from=date(2026, 1, 1), priority=1)
    high = Regime("high", {}, valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 31), priority=5)
    cal = OfficeCalendar([base, high, low])
    assert day_for(cal, date(2026, 1, 5)).regime == "high" and not day_for(cal, date(2026, 1, 5)).is_open
    assert day_for(cal, date(2026, 2, 2)).regime == "low"
    assert day_for(cal, date(2025, 12, 29)).regime == "base"


def test_last_weekday_of_month_rule():
    t = DayTemplate(((T("09:00"), T("13:00")),), ((T("09:00"), T("13:00")),))
    cal = OfficeCalendar([Regime("last friday", {}, nth={(4, -1): t})])
    open_days = [d.date for d in days_between(cal, date(2026, 7, 1), date(2026, 8, 31)) if d.is_open]
    assert open_days == [date(2026, 7, 31), date(2026, 8, 28)]


def test_closure_and_extra_opening(main_cal):
    extra = DayTemplate(((T("10:00"), T("14:00")),), ((T("10:00"), T("13:00")),))
    cal = OfficeCalendar(main_cal.regimes, [DayOverride(date(2026, 3, 4), None, "Санітарний день"),
                                            DayOverride(date(2026, 3, 8), extra, "Виїзний прийом")])
    closed, sunday = day_for(cal, date(2026, 3, 4)), day_for(cal, date(2026, 3, 8))
    assert not closed.is_open and closed.open == [] and closed.note == "Санітарний день"
    assert sunday.reception == hours(("10:00", "13:00")) and sunday.note == "Виїзний прийом"
    assert day_for(cal, date(2026, 3, 5)).is_open  # the day after is untouched


def test_public_holidays_only_when_honoured(main_cal):
    independence_2021 = date(2021, 8, 24)  # a Tuesday, a public holiday before martial law
    honouring = OfficeCalendar(main_cal.regimes, honour_holidays=True)
    assert day_for(main_cal, independence_2021).reception == hours(("09:00", "20:00"))
    closed = day_for(honouring, independence_2021)
    assert not closed.is_open and closed.note == "День незалежності України"
    # Since 2022 the package files the holidays as working days: the switch changes nothing.
    assert day_for(honouring, date(2026, 8, 24)).is_open


def test_regime_dict_round_trip_and_validation(regimes):
    regime = Regime.from_dict(regimes["main"])
    assert Regime.from_dict(regime.to_dict()) == regime
    assert regime.to_dict()["nth"][0]["breaks"] == [["12:30", "13:00"]]
    with pytest.raises(ValueError):
        DayTemplate.from_dict({"open": [["09:00", "16:00"]], "reception": [["08:00", "16:00"]]})
    with pytest.raises(ValueError):
        DayTemplate.from_dict({"open": [["17:00", "09:00"]], "reception": []})


def utc(d, t):
    return aware(d, t).astimezone(timezone.utc)


def test_aware_across_the_march_change():
    d = date(2026, 3, 29)  # Sunday: 03:00 local becomes 04:00
    assert aware(d, T("01:00")).utcoffset() == timedelta(hours=2)
    assert aware(d, T("05:00")).utcoffset() == timedelta(hours=3)
    assert utc(d, T("05:00")) - utc(d, T("01:00")) == timedelta(hours=3)
    assert utc(d + timedelta(days=1), T("00:00")) - utc(d, T("00:00")) == timedelta(hours=23)
    # Reception on the Monday after stays 09:00-16:00 local, an hour earlier in UTC than the Friday before.
    assert utc(date(2026, 3, 30), T("09:00")).time() == T("06:00")
    assert utc(date(2026, 3, 27), T("09:00")).time() == T("07:00")


def test_aware_across_the_october_change():
    d = date(2026, 10, 25)  # Sunday: 04:00 local goes back to 03:00
    assert aware(d, T("01:00")).utcoffset() == timedelta(hours=3)
    assert aware(d, T("05:00")).utcoffset() == timedelta(hours=2)
    assert utc(d, T("05:00")) - utc(d, T("01:00")) == timedelta(hours=5)
    assert utc(d + timedelta(days=1), T("00:00")) - utc(d, T("00:00")) == timedelta(hours=25)
    assert utc(date(2026, 10, 26), T("09:00")).time() == T("07:00")
    assert utc(date(2026, 10, 23), T("09:00")).time() == T("06:00")
