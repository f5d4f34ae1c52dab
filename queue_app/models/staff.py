"""Staff accounts: operators at windows, office managers, centre administrators."""
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .office import Office, Service

ROLES = ("operator", "manager", "admin")

staff_skills = Table(
    "staff_skill",
    db.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    active: Mapped[bool] = mapped_column(default=True)

    office: Mapped[Office | None] = relationship()
    skills: Mapped[list[Service]] = relationship(secondary=staff_skills)

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def may_manage(self, office: Office | int) -> bool:
        """Admins manage every office; managers and operators only their own (an Office or its id)."""
        return self.role == "admin" or self.office_id == (office if isinstance(office, int) else office.id)
