"""A plausible demand forecast when no history is available yet."""
from datetime import date

from .calendar import Day
from .grid import overlap
from .intervals import spans

# Relative arrivals per clock hour: a morning peak, a lunchtime dip, and an after-work peak that
# only days with evening reception (the main office on Tue/Thu) reach.
PROFILE = {8: 0.6, 9: 1.0, 10: 1.5, 11: 1.4, 12: 1.0, 13: 0.8, 14: 1.0, 15: 1.1, 16: 1.0, 17: 1.3, 18: 1.5, 19: 1.2}


def default_demand(days: list[Day], services: dict[str, int], visitors_per_day: int) -> dict[tuple[date, int, str], float]:
    """(date, hour, service) -> minutes of service: `visitors_per_day` visitors per open day, shared
    equally by the services (each taking its duration) and spread over reception hours by PROFILE."""
    out = {}
    for day in days:
        rec = spans(day.reception)
        share = {h: PROFILE.get(h, 0.5) * overlap(h * 60, h * 60 + 60, rec) / 60 for h in range(24)}
        total = sum(share.values())
        for h, weight in share.items():
            if weight:
                for s, duration in services.items():
                    out[day.date, h, s] = visitors_per_day * weight / total * duration / len(services)
    return out
