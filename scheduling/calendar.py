"""Office calendars: the working and reception hours of an office on a date, from rules kept as data.

Rules, from the most specific: a one-off override of the date (closure or extra opening), a public
holiday (only when the office honours them: under martial law Ukrainian holidays are working days),
then the regime in force: its nth-weekday rule for the date, else its weekly template.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .intervals import Interval, spans, subtract, times

KYIV = ZoneInfo("Europe/Kyiv")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LAST = -1  # the `n` of an nth-weekday rule meaning the last such weekday of the month


def _hhmm_pairs(pairs) -> tuple[Interval, ...]:
    return tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in pairs)


def _str_pairs(intervals) -> list[list[str]]:
    return [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in intervals]


@dataclass(frozen=True)
class DayTemplate:
    """Hours of one kind of day; `breaks` are cut out of both the working and the reception hours."""

    open: tuple[Interval, ...]
    reception: tuple[Interval, ...]
    breaks: tuple[Interval, ...] = ()

    def __post_init__(self):
        # Caught here, a typo in an administrator's schedule is an error message, not a day of odd slots.
        for a, b in self.open + self.reception + self.breaks:
            if not a < b:
                raise ValueError(f"empty interval {a}-{b}")
        work = spans(self.open)
        if any(not any(s <= a and b <= e for s, e in work) for a, b in spans(self.reception)):
            raise ValueError("reception hours must lie within working hours")

    def hours(self) -> tuple[list[Interval], list[Interval]]:
        """(working, reception) intervals with the breaks cut out."""
        cuts = spans(self.breaks)
        return times(subtract(spans(self.open), cuts)), times(subtract(spans(self.reception), cuts))

    @classmethod
    def from_dict(cls, d: dict) -> "DayTemplate":
        return cls(_hhmm_pairs(d.get("open", [])), _hhmm_pairs(d.get("reception", [])),
                   _hhmm_pairs(d.get("breaks", [])))

    def to_dict(self) -> dict:
        return {"open": _str_pairs(self.open), "reception": _str_pairs(self.reception),
                "breaks": _str_pairs(self.breaks)}


@dataclass(frozen=True)
class Regime:
    """A set of weekly and nth-weekday rules; a date-ranged regime replaces the open-ended ones."""

    name: str
    weekly: dict[int, DayTemplate]
    nth: dict[tuple[int, int], DayTemplate] = field(default_factory=dict)
    valid_from: date | None = None
    valid_to: date | None = None
    appointment_only: bool = False
    priority: int = 0

    @property
    def ranged(self) -> bool:
        return self.valid_from is not None or self.valid_to is not None

    def applies(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (self.valid_to is None or d <= self.valid_to)

    def template(self, d: date) -> DayTemplate | None:
        """The template for `d`, or None when the regime keeps the office closed that day."""
        wd = d.weekday()
        keys = [(wd, (d.day - 1) // 7 + 1)]
        if (d + timedelta(days=7)).month != d.month:
            keys.append((wd, LAST))
        for key in keys:
            if key in self.nth:
                return self.nth[key]
        return self.weekly.get(wd)

    @classmethod
    def from_dict(cls, d: dict) -> "Regime":
        def day(s):
            return date.fromisoformat(s) if s else None

        return cls(
            name=d["name"],
            weekly={WEEKDAYS.index(k): DayTemplate.from_dict(v) for k, v in d.get("weekly", {}).items()},
            nth={(WEEKDAYS.index(r["weekday"]), int(r["n"])): DayTemplate.from_dict(r) for r in d.get("nth", [])},
            valid_from=day(d.get("valid_from")), valid_to=day(d.get("valid_to")),
            appointment_only=bool(d.get("appointment_only", False)), priority=int(d.get("priority", 0)))

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "weekly": {WEEKDAYS[k]: v.to_dict() for k, v in sorted(self.weekly.items())},
            "nth": [{"weekday": WEEKDAYS[wd], "n": n, **t.to_dict()} for (wd, n), t in sorted(self.nth.items())],
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "appointment_only": self.appointment_only, "priority": self.priority}


@dataclass(frozen=True)
class DayOverride:
    """A one-off date: `template` None closes the office, a template opens or changes the day."""

    date: date
    template: DayTemplate | None
    note: str = ""


@dataclass
class OfficeCalendar:
    regimes: list[Regime]
    overrides: list[DayOverride] = field(default_factory=list)
    honour_holidays: bool = False

    def regime_for(self, d: date) -> Regime | None:
        """Ranged before open-ended, then the higher priority; on a tie the first listed."""
        return max((r for r in self.regimes if r.applies(d)), key=lambda r: (r.ranged, r.priority), default=None)

    def override_for(self, d: date) -> DayOverride | None:
        return next((o for o in reversed(self.overrides) if o.date == d), None)  # the latest entry wins


@dataclass(frozen=True)
class Day:
    date: date
    open: list[Interval]
    reception: list[Interval]
    regime: str
    note: str
    appointment_only: bool

    @property
    def is_open(self) -> bool:
        return bool(self.reception)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> dict[date, str]:
    # Only the `public` category: since 2022 the package files the holidays under `workday` (martial law).
    return dict(holidays.country_holidays("UA", years=year, categories=("public",), language="uk"))


def day_for(cal: OfficeCalendar, d: date) -> Day:
    regime = cal.regime_for(d)
    override = cal.override_for(d)
    holiday = _public_holidays(d.year).get(d) if cal.honour_holidays else None
    if override is not None:
        template, note = override.template, override.note
    elif holiday is not None:
        template, note = None, holiday
    else:
        template, note = (regime.template(d) if regime else None), ""
    open_, reception = template.hours() if template else ([], [])
    return Day(d, open_, reception, regime.name if regime else "", note,
               bool(regime and regime.appointment_only))


def days_between(cal: OfficeCalendar, d_from: date, d_to: date) -> list[Day]:
    """Every date from `d_from` to `d_to` inclusive."""
    return [day_for(cal, d_from + timedelta(days=i)) for i in range((d_to - d_from).days + 1)]


def aware(d: date, t: time) -> datetime:
    """The local wall-clock time `t` of `d` as an aware Kyiv datetime (the offset of that very date).

    Compare or subtract the results after `.astimezone(timezone.utc)`: Python subtracts two datetimes
    that share a tzinfo as wall-clock times, which is an hour off across a DST change.
    """
    return datetime.combine(d, t, tzinfo=KYIV)
