"""Command-line tools: `flask --app wsgi seed | user create | schedule | bootstrap`."""
import json
import secrets
from datetime import date
from functools import wraps

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from .calendars import schedule_json
from .extensions import db
from .models import ROLES, Office, Staff
from .planning import run_job, run_plan
from .seeding import seed

user_cli = AppGroup("user", help="Staff accounts.")


@user_cli.command("create")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--office", "office_code", default=None, help="Office code (required for operators and managers).")
def user_create(username: str, password: str, role: str, office_code: str | None):
    """Create a staff account, or reset the password and role of an existing one."""
    office = None
    if office_code:
        office = db.session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise click.UsageError(f"unknown office: {office_code}")
    elif role != "admin":
        raise click.UsageError("operators and managers belong to an office: give --office")
    if len(password) < 8:
        raise click.UsageError("the password must have at least 8 characters")
    staff = db.session.scalar(select(Staff).where(Staff.username == username)) or Staff(username=username)
    staff.role, staff.office = role, office
    staff.set_password(password)
    db.session.add(staff)
    db.session.commit()
    click.echo(f"{role} {username} saved")


def _date(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None


@click.command("schedule")
@click.argument("office_code")
@click.argument("d_from", callback=_date)
@click.argument("d_to", callback=_date)
def schedule_command(office_code: str, d_from: date, d_to: date):
    """Print an office's working and reception hours per date as the API's JSON."""
    office = db.session.scalar(select(Office).where(Office.code == office_code))
    if office is None:
        raise click.UsageError(f"unknown office: {office_code}")
    if d_to < d_from or (d_to - d_from).days >= 366:
        raise click.UsageError("TO must be on or after FROM, at most 366 days")
    click.echo(json.dumps(schedule_json(office, d_from, d_to), ensure_ascii=False))


@click.command("plan")
@click.argument("office_code", required=False)
@click.argument("d_from", required=False)
@click.argument("d_to", required=False)
@click.option("--job", "job_id", type=int, default=None, help="Run a queued plan job (the admin button's worker).")
@click.option("--time-limit", type=float, default=None, help="Seconds for the solver in all.")
def plan_command(office_code, d_from, d_to, job_id, time_limit):
    """Solve and store the staffing plan of OFFICE for FROM..TO (YYYY-MM-DD)."""
    if job_id is not None:
        job = run_job(job_id)
        click.echo(f"job {job.id}: {job.state} {job.message}")
        return
    if not (office_code and d_from and d_to):
        raise click.UsageError("give OFFICE FROM TO, or --job ID")
    office = db.session.scalar(select(Office).where(Office.code == office_code))
    if office is None:
        raise click.UsageError(f"unknown office: {office_code}")
    start, end = _date(None, None, d_from), _date(None, None, d_to)
    if end < start or (end - start).days > 62:
        raise click.UsageError("TO must be on or after FROM, at most 63 days")
    result = run_plan(office, start, end, time_limit)
    click.echo(json.dumps({"office": office.code, "status": result.status, "wall_s": round(result.wall_s, 2),
                           "greedy_fallback": result.greedy_fallback,
                           "unmet_min": {k: round(v) for k, v in result.unmet_min.items() if v}}, ensure_ascii=False))


@click.command("seed")
@click.option("--demo", is_flag=True, help="Also give offices without windows the demo windows.")
def seed_command(demo: bool):
    """Load the reference data from queue_app/data (idempotent)."""
    counts = seed(demo=demo)
    click.echo("seeded: " + ", ".join(f"{v} new {k}" for k, v in counts.items()))


@click.command("bootstrap")
def bootstrap_command():
    """Create the first admin account with a generated password, printed once."""
    if db.session.scalar(select(Staff).where(Staff.role == "admin")) is not None:
        click.echo("admin account exists (reset it with: flask --app wsgi user create admin --role admin --password ...)")
        return
    password = secrets.token_urlsafe(12)
    staff = Staff(username="admin", role="admin")
    staff.set_password(password)
    db.session.add(staff)
    db.session.commit()
    click.echo(f"admin account created: username admin, password {password}  (shown once)")


def register_cli(app):
    for command in (user_cli, schedule_command, seed_command, bootstrap_command, plan_command):
        app.cli.add_command(command)
    from .jobs import register_jobs_cli; register_jobs_cli(app)  # noqa: E702  jobs run, outbox send (issue 6)
    from .retention import register_retention_cli; register_retention_cli(app)  # noqa: E702  retention run (issue 7)
    for command in app.cli.commands.values():
        _say_when_the_database_is_down(command)


def _say_when_the_database_is_down(command: click.Command) -> None:
    """cron mails what a job prints: an unreachable or locked database gets one line and exit status 1,
    not a stack trace. The driver's first line only: it names the server, never a row."""
    for sub in getattr(command, "commands", {}).values():
        _say_when_the_database_is_down(sub)
    run = command.callback
    if run is None:
        return

    @wraps(run)
    def guarded(*args, **kwargs):
        try:
            return run(*args, **kwargs)
        except OperationalError as err:
            lines = str(err.orig).strip().splitlines()
            reason = lines[0] if lines else type(err.orig).__name__
            raise click.ClickException(f"database unavailable: {reason}") from None
    command.callback = guarded
