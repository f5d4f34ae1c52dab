"""Notifications and the guards of online booking: the SMS outbox, phone checks, phone restrictions."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

OUTBOX_STATUSES = ("pending", "sent", "failed")


class Outbox(db.Model):
    """One SMS to send. Written in the transaction that causes it, so a message is never lost;
    `flask --app wsgi outbox send` delivers it with retries (exponential back-off)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # A message that must go once only (a reminder) carries a key; the database refuses a second.
        Index("uq_outbox_dedupe", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # booking_confirmed | reminder | booking_cancelled | documents_ready | verify_code
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str | None] = mapped_column(String(80))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhoneVerification(db.Model):
    """The SMS code that confirms the phone of a held booking (when BOOKING_VERIFY_PHONE is on)."""

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhoneRestriction(db.Model):
    """A manager's decision about one phone: a manual block, or forgiving the no-shows before a moment."""

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forgiven_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = ["OUTBOX_STATUSES", "Outbox", "PhoneRestriction", "PhoneVerification"]
