"""The call-next policy: which waiting ticket a window calls next. Read it top to bottom.

It is a pure function over plain values, so it is tested case by case without a database;
`queue.call_next` feeds it the waiting tickets and claims the one it picks.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

# A booked citizen is "due" from a little before the booked time to a little after it.
DUE_BEFORE = timedelta(minutes=10)
DUE_AFTER = timedelta(minutes=15)
# A priority category moves a ticket ahead of those who came up to this much earlier, and no
# further: whoever has waited longer than that is still served first, so no one starves.
PRIORITY_HEAD_START = timedelta(minutes=20)


@dataclass(frozen=True)
class Waiting:
    id: int
    service: str
    arrived_at: datetime
    booked_at: datetime | None = None   # the booked start, for a checked-in booking
    priority: bool = False


def call_order(now: datetime, waiting: list[Waiting], window_services: frozenset[str]) -> list[Waiting]:
    """The tickets this window may call, best first."""
    mine = [t for t in waiting if t.service in window_services]

    # 1. Booked citizens whose time has come, earliest booking first: they were promised a time.
    due = sorted((t for t in mine if t.booked_at and t.booked_at - DUE_BEFORE <= now <= t.booked_at + DUE_AFTER),
                 key=lambda t: t.booked_at)

    # A booking checked in early waits for its time; one that is past its tolerance is served like
    # everyone else, as if it had arrived at its booked time.
    rest = [t for t in mine if t not in due and not (t.booked_at and now < t.booked_at - DUE_BEFORE)]

    # 2 and 3. Everyone else by arrival, priority categories with a bounded head start (ageing).
    def effective_arrival(t: Waiting) -> datetime:
        arrived = max(t.arrived_at, t.booked_at) if t.booked_at else t.arrived_at
        return arrived - (PRIORITY_HEAD_START if t.priority else timedelta(0))

    return due + sorted(rest, key=lambda t: (effective_arrival(t), t.id))
