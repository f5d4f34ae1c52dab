"""The moving parts: tickets, bookings, cases, and the append-only event log."""
from datetime import date, datetime, time

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, event, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .office import Office, Service, Window
from .types import UTCDateTime, utcnow

TICKET_STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled")
BOOKING_STATUSES = ("held", "booked", "checked_in", "done", "cancelled", "no_show", "expired")
ACTIVE_TICKET = ("called", "serving")
ACTIVE_BOOKING = ("held", "booked", "checked_in")
CASE_STATUSES = ("accepted", "in_progress", "ready", "issued", "refused")


def _live(statuses: tuple[str, ...]):
    """A partial index's condition: the rows in one of `statuses`."""
    return text("status IN (" + ",".join(f"'{s}'" for s in statuses) + ")")


def status_in(column, statuses: tuple[str, ...]):
    """`column IN (…)` with the statuses written into the SQL, not bound: a partial index below serves a
    query only when the query's WHERE states the index's condition, and the planner cannot see a bound
    value when it plans (SQLite never does). With `status IN (?, ?)` "Next" scanned every ticket ever kept.
    Literal columns, not literal_execute: the text is fixed when the statement is compiled, not rendered
    again on every run (a tenth of a millisecond of each "Next")."""
    return column.in_([literal_column(f"'{s}'") for s in statuses])


class TicketCounter(db.Model):
    """The last number given per office, day and letter; bumped under a row lock."""

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    letter: Mapped[str] = mapped_column(String(2), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Ticket(db.Model):
    __table_args__ = (
        # Numbers restart every day; the database refuses a duplicate whatever the code does.
        UniqueConstraint("office_id", "day", "letter", "seq", name="uq_ticket_number"),
        # Who waits at an office today, and for one service: every ticket issued counts the latter.
        Index("ix_ticket_queue", "office_id", "day", "status", "service_id"),
        # A window works on one ticket at a time.
        Index("uq_ticket_window_active", "window_id", unique=True,
              sqlite_where=_live(ACTIVE_TICKET), postgresql_where=_live(ACTIVE_TICKET)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[date] = mapped_column()
    letter: Mapped[str] = mapped_column(String(2))
    seq: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    source: Mapped[str] = mapped_column(String(16), default="walk_in")  # walk_in | booking | pickup
    priority: Mapped[str | None] = mapped_column(String(40))  # a priority category's code
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    # Arrival time is kept through transfers; waiting is measured from it.
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recalls: Mapped[int] = mapped_column(default=0)
    # One more at every change (the UPDATE adds it, under the row's lock): a phone keeps the message of the
    # highest revision, so a snapshot read before a call and sent after it cannot undo "your turn".
    rev: Mapped[int] = mapped_column(default=0, server_default="0")

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()
    window: Mapped[Window | None] = relationship()

    @property
    def number(self) -> str:
        return ticket_number(self.letter, self.seq)


@event.listens_for(Ticket, "before_update")
def _next_revision(_mapper, _connection, ticket: Ticket) -> None:
    # Every change through the unit of work; the Core UPDATEs of a call add it themselves.
    ticket.rev = Ticket.rev + 1


def ticket_number(letter: str, seq: int) -> str:
    """Readable aloud: «А-015»."""
    return f"{letter}-{seq:03d}"


class OfficeDay(db.Model):
    """One row per office and date; bookings lock it so admission checks run one at a time."""

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class Booking(db.Model):
    __table_args__ = (
        # A six-digit code names one live booking; old ones may reuse it.
        Index("uq_booking_code_active", "code", unique=True,
              sqlite_where=_live(ACTIVE_BOOKING), postgresql_where=_live(ACTIVE_BOOKING)),
        # No window holds two live bookings starting at the same time.
        Index("uq_booking_window_start", "window_id", "day", "start", unique=True,
              sqlite_where=_live(ACTIVE_BOOKING), postgresql_where=_live(ACTIVE_BOOKING)),
        Index("ix_booking_office_day", "office_id", "day", "status"),
        # Rows kept for years (until retention erases them) are found without reading them all: a booking
        # opened by its code and link (any status, so not through the partial index above), a phone's
        # bookings and no-shows (checked at every booking), and the jobs' sweeps by status.
        Index("ix_booking_code", "code"),
        Index("ix_booking_phone", "phone", "status", "day"),
        Index("ix_booking_status_day", "status", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[date] = mapped_column()
    start: Mapped[time] = mapped_column()
    end: Mapped[time] = mapped_column()
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    name: Mapped[str | None] = mapped_column(String(200))  # personal data: masked, erased after retention
    phone: Mapped[str | None] = mapped_column(String(20))
    manage_token_hash: Mapped[str] = mapped_column(String(64))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()


class Case(db.Model):
    """A citizen's application (справа): its code is what the «documents ready» SMS carries."""

    __tablename__ = "cases"  # CASE is an SQL keyword

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    status: Mapped[str] = mapped_column(String(16), default="accepted")
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()


class Event(db.Model):
    """Append-only log of everything that happens to a ticket or booking; statistics read it."""

    __table_args__ = (
        Index("ix_event_office_ts", "office_id", "ts"),
        # Reports (queue_app.reports): the tickets issued in a period, then all events of those tickets
        # read from a covering index in ticket order, so the per-ticket aggregate needs no sort.
        Index("ix_event_office_kind_ts", "office_id", "kind", "ts", "ticket_id"),
        Index("ix_event_ticket_report", "ticket_id", "kind", "ts", "office_id", "service_id", "booking_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.now())  # the app's clock
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class StaffPlan(db.Model):
    """A stored staffing plan of one office and date (scheduling.PlanResult in dict form)."""

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    plan: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
