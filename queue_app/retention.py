"""Erasing personal data after the retention period: `flask --app wsgi retention run` (daily, from cron).

What goes: Booking.name and Booking.phone (bookings whose date is older than the period), Case.phone
(cases last changed before it), the phone and text of SMS sent about them, and expired phone
restrictions. What stays: every row and every event, so counts, times and reports are unchanged.

The period is per office (RetentionPolicy row of the office), else the centre's (the row without an
office), else DEFAULT_DAYS. It may not be shorter than the no-show window: booking blocks count
no-shows per phone over that window.
"""
import logging
from datetime import datetime, time, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import delete, or_, select, update

from scheduling import aware

from . import clock
from .extensions import db
from .models import AuditLog, Booking, Case, Office, Outbox, PhoneRestriction, RetentionPolicy
from .privacy import mask_phone

log = logging.getLogger(__name__)

DEFAULT_DAYS = 365
MAX_DAYS = 3650


def min_days() -> int:
    from .bookings import setting
    return max(30, int(setting("NO_SHOW_WINDOW_DAYS")))


def policy_row(office: Office | None) -> RetentionPolicy | None:
    office_id = office.id if office is not None else None
    query = select(RetentionPolicy).where(RetentionPolicy.office_id.is_(None) if office_id is None
                                          else RetentionPolicy.office_id == office_id)
    return db.session.scalar(query)


def centre_days() -> int:
    row = policy_row(None)
    return row.days if row is not None else DEFAULT_DAYS


def office_days(office: Office) -> int:
    row = policy_row(office)
    return row.days if row is not None else centre_days()


def set_days(office: Office | None, days: int, staff_id: int | None = None) -> RetentionPolicy:
    """Set (or, with the centre row, replace) a period; the caller commits (with its audit entry)."""
    row = policy_row(office)
    if row is None:
        row = RetentionPolicy(office_id=office.id if office is not None else None, days=days)
        db.session.add(row)
    row.days, row.staff_id, row.updated_at = days, staff_id, clock.now()
    return row


def clear_office(office: Office) -> None:
    """The office follows the centre's period again."""
    row = policy_row(office)
    if row is not None:
        db.session.delete(row)


def _cutoff(now: datetime, days: int) -> datetime:
    return aware(now.date() - timedelta(days=days), time(0, 0))


def run(now: datetime | None = None) -> dict:
    """Erase what is past its period; returns counts per kind. Safe to run any number of times."""
    now = now or clock.now()
    counts = {"bookings": 0, "cases": 0, "sms": 0, "phone_restrictions": 0}
    for office in db.session.scalars(select(Office).order_by(Office.id)).all():
        cutoff = _cutoff(now, office_days(office))
        booking_ids = db.session.scalars(select(Booking.id).where(
            Booking.office_id == office.id, Booking.day < cutoff.date(),
            or_(Booking.name.is_not(None), Booking.phone.is_not(None)))).all()
        case_ids = db.session.scalars(select(Case.id).where(
            Case.office_id == office.id, Case.updated_at < cutoff, Case.phone.is_not(None))).all()
        for chunk in _chunks(booking_ids):
            db.session.execute(update(Booking).where(Booking.id.in_(chunk)).values(name=None, phone=None))
        for chunk in _chunks(case_ids):
            db.session.execute(update(Case).where(Case.id.in_(chunk)).values(phone=None))
        counts["bookings"] += len(booking_ids)
        counts["cases"] += len(case_ids)
        # The SMS about erased bookings and cases: the number masked, the text (codes, links) gone.
        old_sms = db.session.execute(select(Outbox.id, Outbox.phone).where(
            Outbox.created_at < cutoff, Outbox.body != "",
            or_(Outbox.booking_id.in_(select(Booking.id).where(Booking.office_id == office.id)),
                Outbox.case_id.in_(select(Case.id).where(Case.office_id == office.id))))).all()
        for sms_id, phone in old_sms:
            db.session.execute(update(Outbox).where(Outbox.id == sms_id).values(phone=mask_phone(phone), body=""))
        counts["sms"] += len(old_sms)
    centre_cutoff = _cutoff(now, centre_days())
    counts["phone_restrictions"] = db.session.execute(delete(PhoneRestriction).where(
        PhoneRestriction.updated_at < centre_cutoff,
        or_(PhoneRestriction.blocked_until.is_(None), PhoneRestriction.blocked_until < now))).rowcount or 0
    if any(counts.values()):
        db.session.add(AuditLog(username="retention", action="erase", entity="personal_data",
                                summary="Видалено персональні дані після строку зберігання", changes=counts))
    db.session.commit()
    log.info("retention: %s", " ".join(f"{k}={v}" for k, v in counts.items()))  # counts only, never the data
    return counts


def _chunks(ids, size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


retention_cli = AppGroup("retention", help="Erasing personal data after the retention period.")


@retention_cli.command("run")
def retention_run():
    """Erase names and phones older than each office's retention period (rows and events are kept)."""
    click.echo(" ".join(f"{k}={v}" for k, v in run().items()))


def register_retention_cli(app) -> None:
    app.cli.add_command(retention_cli)


__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "centre_days", "clear_office", "min_days", "office_days",
           "register_retention_cli", "run", "set_days"]
