"""The administration's audit log: who changed what, and when."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class AuditLog(db.Model):
    """One change made in /admin. `changes` holds {field: [old, new]}; never a citizen's name or phone."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_office_ts", "office_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(80))  # kept if the account is deleted later
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # create | update | deactivate | delete | pause | …
    entity: Mapped[str] = mapped_column(String(40))  # office | window | service | schedule | closure | …
    entity_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)





class RetentionPolicy(db.Model):
    """How long personal data is kept: one row per office that sets its own, and (office_id NULL) the
    centre's default. `flask --app wsgi retention run` erases names and phones older than that."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"), unique=True)
    days: Mapped[int] = mapped_column()
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
__all__ = ["AuditLog", "RetentionPolicy"]
