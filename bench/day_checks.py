"""What bench/day.py checks after the day, from the database and from what the clients saw."""
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from queue_app.models import Booking, Event, Office, Ticket, Window
from scheduling import aware

FINAL = ("done", "no_show", "cancelled")
RANK = {"waiting": 0, "called": 1, "serving": 2, "done": 3, "no_show": 3, "cancelled": 3}


@dataclass
class Day:
    statuses: Counter                    # final ticket statuses
    bookings: Counter                    # final booking statuses
    log_problems: list[str]              # from the event log: a ticket called twice, a window serving two
    calls: int                           # tickets called
    boards: list[int]                    # per board: how many of those calls reached it
    boards_connected: int
    phones: int                          # tickets followed by a phone
    phone_problems: list[str]
    waits: dict[str, list[float]]        # minutes from arrival (a booking: its time) to the first call
    served: dict[int, int]               # tickets done per window number
    busy: float                          # share of the windows' working hours from a call to its end
    cpu_s: float                         # the server worker's CPU over the day
    rss_mb: float                        # its peak resident set
    wall_s: float                        # real seconds the day took
    turned_away: dict                    # kiosk refusals by code (too_late_today near closing)
    errors: list[str]                    # unexpected HTTP answers
    expected_boards: int = 0
    other: list[str] = field(default_factory=list)  # cancellations without their closing event

    def checks(self) -> dict[str, list[str]]:
        """What went wrong, by check; every list empty on a good day."""
        open_ = {s: n for s, n in self.statuses.items() if s not in FINAL}
        boards = [f"board {i}: {got} of {self.calls} calls" for i, got in enumerate(self.boards) if got != self.calls]
        if self.boards_connected != self.expected_boards:
            boards.append(f"{self.boards_connected} of {self.expected_boards} boards connected")
        open_bookings = {s: n for s, n in self.bookings.items() if s in ("held", "booked")}
        return {"tickets": [f"tickets not closed: {open_}"] if open_ else [],
                "event log": self.log_problems, "boards": boards, "phones": self.phone_problems,
                "bookings": [f"bookings left open: {open_bookings}"] if open_bookings else [],
                "answers": self.errors, "other": self.other}

    def problems(self) -> list[str]:
        return [p for found in self.checks().values() for p in found[:10]]


def _engine_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith(("postgresql://", "postgres://")) else url


def _log_problems(events) -> list[str]:
    """Replay the event log in order: one `called` per ticket, every later step at that window, and a
    window never calling while its previous ticket is still open."""
    problems, window_of, busy = [], {}, {}
    for ticket, kind, window in events:
        if kind == "called":
            if ticket in window_of:
                problems.append(f"ticket {ticket} called again (windows {window_of[ticket]} and {window})")
            if busy.get(window) is not None:
                problems.append(f"window {window} called ticket {ticket} while ticket {busy[window]} was open")
            window_of[ticket], busy[window] = window, ticket
        elif kind in ("recalled", "started", "done", "no_show"):
            if window != window_of.get(ticket):
                problems.append(f"ticket {ticket}: {kind} at window {window}, called at {window_of.get(ticket)}")
            if kind in ("done", "no_show") and busy.get(window) == ticket:
                busy[window] = None
    return problems


def _phone_problems(followed: list[int], seen: dict, final: dict, via_redis: bool) -> list[str]:
    """Each phone saw its ticket move forward only, to its final status. Without Redis a ticket
    cancelled at closing by `flask jobs run` (another process) cannot reach the phone: it stays waiting."""
    problems = []
    for ticket in followed:
        got = seen.get(ticket, [])
        expected = final[ticket] if via_redis or final[ticket] != "cancelled" else "waiting"
        ranks = [RANK[s] for s in got]
        if not got or got[-1] != expected or ranks != sorted(ranks):
            problems.append(f"phone of ticket {ticket} saw {got}, the ticket ended {final[ticket]}")
    return problems


def check_day(database_url: str, plan, office, tally, via_redis: bool) -> Day:
    engine = sa.create_engine(_engine_url(database_url))
    try:
        with Session(engine) as s:
            main = s.scalar(sa.select(Office).where(Office.code == "main"))
            tickets = s.scalars(sa.select(Ticket).where(Ticket.office_id == main.id, Ticket.day == plan.day)).all()
            ids = {t.id for t in tickets}
            events = [e for e in s.execute(sa.select(Event.ticket_id, Event.kind, Event.window_id, Event.ts, Event.data)
                                           .where(Event.office_id == main.id, Event.ticket_id.is_not(None))
                                           .order_by(Event.id)).all() if e.ticket_id in ids]
            booked_at = {b.id: aware(b.day, b.start) for b in s.scalars(
                sa.select(Booking).where(Booking.office_id == main.id, Booking.day == plan.day))}
            bookings = Counter(s.scalars(sa.select(Booking.status).where(
                Booking.office_id == main.id, Booking.day == plan.day)).all())
            numbers = dict(s.execute(sa.select(Window.id, Window.number)).all())
    finally:
        engine.dispose()
    first_call = {}
    for e in events:
        if e.kind == "called":
            first_call.setdefault(e.ticket_id, e.ts)
    waits = {"walk-in": [], "booked": []}
    for t in tickets:
        if t.id in first_call:
            kind = "booked" if t.source == "booking" else "walk-in"
            since = max(t.arrived_at, booked_at[t.booking_id]) if kind == "booked" else t.arrived_at
            waits[kind].append(max(0.0, (first_call[t.id] - since).total_seconds() / 60))
    called = set(first_call)
    at_windows = sum((t.finished_at - first_call[t.id]).total_seconds() for t in tickets
                     if t.id in first_call and t.finished_at)
    closings = {e.ticket_id for e in events if e.kind == "cancelled" and e.ts >= office.closes
                and e.data == {"reason": "closing"}}
    other = [f"ticket {t.id} ended {t.status}, {'with' if t.id in closings else 'without'} a closing event"
             for t in tickets if (t.status == "cancelled") != (t.id in closings)]
    return Day(
        statuses=Counter(t.status for t in tickets), bookings=bookings,
        log_problems=_log_problems((e.ticket_id, e.kind, e.window_id) for e in events),
        calls=len(called), boards=[len(called & set(got)) for got in tally.board_seen],
        boards_connected=tally.boards_connected, phones=len(tally.followed),
        phone_problems=_phone_problems(tally.followed, tally.phone_seen, {t.id: t.status for t in tickets}, via_redis),
        busy=at_windows / (len(plan.windows) * (office.closes - office.opens).total_seconds()),
        waits=waits, served=dict(Counter(numbers[t.window_id] for t in tickets if t.status == "done")),
        cpu_s=tally.cpu_s, rss_mb=tally.rss_mb, wall_s=tally.wall_s,
        turned_away=tally.turned_away, errors=tally.errors, expected_boards=plan.boards, other=other)
