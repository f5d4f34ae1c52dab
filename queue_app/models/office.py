"""Offices, their windows, the services and the schedule data (regimes and closures)."""
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

window_services = Table(
    "window_service",
    db.metadata,
    Column("window_id", ForeignKey("window.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


class Office(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # main | territorial | mobile
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300))
    cabinet: Mapped[str | None] = mapped_column(String(20))
    honour_holidays: Mapped[bool] = mapped_column(default=False)
    # An office-wide pause (an air-raid alert): no tickets are issued while it is set.
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    min_notice_min: Mapped[int] = mapped_column(default=60)
    horizon_days: Mapped[int] = mapped_column(default=30)

    windows: Mapped[list["Window"]] = relationship(back_populates="office", order_by="Window.number")
    regimes: Mapped[list["Schedule"]] = relationship(back_populates="office")
    offered: Mapped[list["OfficeService"]] = relationship(back_populates="office")


class ServiceCategory(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    letter: Mapped[str] = mapped_column(String(2))
    position: Mapped[int] = mapped_column(default=0)


class Service(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    card: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str] = mapped_column(String(500), default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id"))
    provider: Mapped[str] = mapped_column(String(500), default="")
    duration_min: Mapped[int] = mapped_column(default=15)
    letter: Mapped[str | None] = mapped_column(String(2))  # None: the category's letter
    # The card itself (fee, term, documents, result delivery, legal basis, notes) as reviewed data.
    card_data: Mapped[dict] = mapped_column(JSON, default=dict)

    category: Mapped[ServiceCategory] = relationship(lazy="joined")  # the ticket letter needs it on every issue

    @property
    def ticket_letter(self) -> str:
        return self.letter or self.category.letter


class OfficeService(db.Model):
    """A service as one office offers it: bookable or not, and the share kept for walk-ins."""

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    bookable: Mapped[bool] = mapped_column(default=True)
    walk_in_share: Mapped[float] = mapped_column(default=0.5)
    daily_cap: Mapped[int | None] = mapped_column()  # walk-in tickets per day, None = no cap
    last_ticket_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", None = closing

    office: Mapped[Office] = relationship(back_populates="offered")
    service: Mapped[Service] = relationship()


class Window(db.Model):
    __table_args__ = (UniqueConstraint("office_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    # Who is at the window now (set when an operator takes it), and why it is paused, if it is.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    paused_reason: Mapped[str | None] = mapped_column(String(200))

    office: Mapped[Office] = relationship(back_populates="windows")
    services: Mapped[list[Service]] = relationship(secondary=window_services, order_by="Service.code")

    @property
    def office_code(self) -> str:
        return self.office.code


class Schedule(db.Model):
    """A schedule regime of an office (scheduling.Regime in its dict form)."""

    __table_args__ = (UniqueConstraint("office_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))  # stable name for seeding and editing
    rules: Mapped[dict] = mapped_column(JSON)

    office: Mapped[Office] = relationship(back_populates="regimes")


class Closure(db.Model):
    """A closed date range, for one office or (office_id NULL) the whole centre."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    date_from: Mapped[date] = mapped_column()
    date_to: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(300))


class PriorityCategory(db.Model):
    """A group the centre serves first (people with disabilities, veterans, …); marked on the ticket."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
