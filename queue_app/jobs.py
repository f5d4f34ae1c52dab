"""Periodic work, run from cron or a systemd timer every minute: `flask --app wsgi jobs run`.

- expire holds past their expiry (their places are already ignored by admission; this tidies up),
- mark bookings not checked in by their start + NO_SHOW_TOLERANCE_MIN as no-shows (the count per
  phone feeds the online-booking block),
- queue the reminder SMS the day before (once per booking: the outbox refuses a second by its key),
- deliver the outbox,
- once an office's working hours are over, cancel the day's tickets still waiting (nobody will call
  them now), each with a `cancelled` event.
`flask --app wsgi outbox send` delivers the outbox alone.
"""
import logging
from datetime import datetime, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from scheduling import aware

from . import clock, notify, realtime
from .bookings import setting
from .calendars import office_days
from .extensions import db
from .models import Booking, Event, Office, Outbox, Ticket
from .tickets import log as log_event

log = logging.getLogger(__name__)

REMINDER_HOURS = (9, 20)  # reminders go out the day before, between 09:00 and 20:00 Kyiv time


def expire_holds(now: datetime | None = None) -> int:
    now = now or clock.now()
    count = db.session.execute(update(Booking).where(Booking.status == "held", Booking.hold_expires_at < now)
                               .values(status="expired", window_id=None)).rowcount
    db.session.commit()
    return count


def mark_no_shows(now: datetime | None = None) -> int:
    """Booked, not checked in, and the start plus the tolerance has passed: a no-show, the place released."""
    now = now or clock.now()
    tolerance = timedelta(minutes=setting("NO_SHOW_TOLERANCE_MIN"))
    rows = db.session.scalars(select(Booking).where(Booking.status == "booked", Booking.day <= now.date())).all()
    count = 0
    for b in rows:
        if aware(b.day, b.start) + tolerance < now:
            b.status, b.window_id = "no_show", None
            db.session.add(Event(office_id=b.office_id, kind="booking_no_show", booking_id=b.id,
                                 service_id=b.service_id, data={}))
            count += 1
    db.session.commit()
    return count


def queue_reminders(now: datetime | None = None) -> int:
    """One reminder per booking of tomorrow; running again (or in two processes) adds none."""
    now = now or clock.now()
    if not REMINDER_HOURS[0] <= now.hour < REMINDER_HOURS[1]:
        return 0
    tomorrow = now.date() + timedelta(days=1)
    bookings = db.session.scalars(select(Booking).where(Booking.status == "booked", Booking.day == tomorrow)).all()
    keys = {b.id: f"reminder:{b.id}" for b in bookings}
    # Only these bookings' keys (through the unique index), not every reminder ever sent.
    done = set(db.session.scalars(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(keys.values()))).all())
    count = 0
    for b in bookings:
        key = keys[b.id]
        if key in done or not b.phone:
            continue
        notify.enqueue("reminder", b.phone, notify.text_reminder(b), booking_id=b.id, dedupe_key=key)
        try:
            db.session.commit()
            count += 1
        except IntegrityError:  # another process queued it first
            db.session.rollback()
    return count


def _closing(office: Office, day) -> datetime:
    """The end of the office's working hours on `day` (its start if closed): operators serve whoever
    holds a ticket until then, past the end of reception."""
    hours = office_days(office, day, day)[0]
    return aware(day, hours.open[-1][1]) if hours.open else aware(day, datetime.min.time())


def cancel_at_closing(now: datetime | None = None) -> int:
    """Tickets still waiting once their office has closed for the day become `cancelled`."""
    now = now or clock.now()
    pending = db.session.execute(select(Ticket.office_id, Ticket.day).where(
        Ticket.status == "waiting", Ticket.day <= now.date()).distinct()).all()
    cancelled, offices = [], set()
    for office_id, day in pending:
        office = db.session.get(Office, office_id)
        if now < _closing(office, day):
            continue
        # Conditional, so a ticket a window claims at this very moment stays called.
        ids = db.session.scalars(update(Ticket).where(
            Ticket.office_id == office_id, Ticket.day == day, Ticket.status == "waiting")
            .values(status="cancelled", finished_at=now, rev=Ticket.rev + 1).returning(Ticket.id)).all()
        for ticket in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))
                                         .execution_options(populate_existing=True)):
            log_event(ticket, "cancelled", reason="closing")
            cancelled.append(ticket)
        # A booked citizen who checked in and was not reached: the booking ends with the ticket.
        db.session.execute(update(Booking).where(
            Booking.id.in_([t.booking_id for t in cancelled if t.booking_id and t.source == "booking"]),
            Booking.status == "checked_in").values(status="cancelled"))
        offices.add(office.code)
    db.session.commit()
    for ticket in cancelled:  # phones following them (reaches them through REDIS_URL from this process)
        realtime.ticket_changed(ticket)
    for code in offices:
        realtime.queue_changed(code)
    return len(cancelled)


def run_all(now: datetime | None = None) -> dict:
    now = now or clock.now()
    return {"expired_holds": expire_holds(now), "no_shows": mark_no_shows(now),
            "reminders": queue_reminders(now), "outbox": notify.drain(now=now),
            "cancelled_at_closing": cancel_at_closing(now)}


jobs_cli = AppGroup("jobs", help="Periodic jobs (run every minute).")
outbox_cli = AppGroup("outbox", help="The SMS outbox.")


@jobs_cli.command("run")
def jobs_run():
    """Expire holds, mark no-shows, queue reminders, send the outbox, cancel what waits past closing."""
    click.echo(" ".join(f"{k}={v}" for k, v in run_all().items()))


@jobs_cli.command("expire-holds")
def jobs_expire():
    click.echo(f"expired {expire_holds()}")


@jobs_cli.command("no-shows")
def jobs_no_shows():
    click.echo(f"no-shows {mark_no_shows()}")


@jobs_cli.command("reminders")
def jobs_reminders():
    click.echo(f"reminders {queue_reminders()}")


@jobs_cli.command("close-day")
def jobs_close_day():
    click.echo(f"cancelled {cancel_at_closing()}")


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True)
def outbox_send(limit: int):
    """Send the due messages (retrying failed ones whose back-off has passed)."""
    click.echo(" ".join(f"{k}={v}" for k, v in notify.drain(limit=limit).items()))


def register_jobs_cli(app) -> None:
    app.cli.add_command(jobs_cli)
    app.cli.add_command(outbox_cli)
