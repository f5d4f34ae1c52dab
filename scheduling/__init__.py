"""The pure domain of time: calendars, staffing plans, bookable slots and admission of bookings.

Plain data in, plain data out: no web framework, no database.
"""
from .admission import BookingInterval, DayBook, Verdict, WindowAvailability, admit
from .calendar import KYIV, Day, DayOverride, DayTemplate, OfficeCalendar, Regime, aware, day_for, days_between
from .plan import Assignment, Operator, PlanRequest, PlanResult, WindowSpec, default_demand, solve_plan
from .slots import Slot, slots_for

__all__ = [
    "KYIV", "DayTemplate", "Regime", "DayOverride", "OfficeCalendar", "Day", "day_for", "days_between", "aware",
    "Slot", "slots_for",
    "WindowAvailability", "BookingInterval", "admit", "Verdict", "DayBook",
    "Operator", "WindowSpec", "PlanRequest", "PlanResult", "Assignment", "solve_plan", "default_demand",
]
