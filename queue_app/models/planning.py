"""Background staffing-plan runs, so a manager's button never waits on the solver."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class PlanJob(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    date_from: Mapped[date] = mapped_column()
    date_to: Mapped[date] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
