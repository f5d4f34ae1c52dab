"""Statistics for managers: the live state of an office now, and reports over a period.

Pure functions over the database session, built for speed: the report reads the event log with one
aggregate query (one row per ticket, times as epoch seconds computed by the database) and one pass
over plain tuples; no ORM objects. A year of a busy office (~300 000 events) takes well under the
two seconds a manager may wait (see bench/bench_reports.py).

Definitions (shown on the report page too):
- visit: a ticket issued in the period (walk-in, booked arrival or pick-up);
- waiting time: from the ticket's issue to its first call;
- service time: from the start of service (or the last call, if the operator never pressed
  «start») to its completion;
- no-show rate: tickets closed as «не з'явився» among tickets closed either way;
- booking utilisation: bookings of the period that were used (the citizen came) among those made
  and not cancelled;
- unclaimed results: cases of the period with status «ready» and not yet «issued», by the category
  of their service (the table of seed 000).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Float, case, cast, func, literal, select

from scheduling import KYIV, aware

from .extensions import db
from .models import Booking, Case, Event, Office, Service, ServiceCategory, Ticket, Window

WEEKDAYS_UK = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд")
TICKET_KINDS = ("issued", "called", "started", "done", "no_show")
MAX_DAYS = 731  # two years in one report


@dataclass
class ReportFilter:
    d_from: date
    d_to: date
    office_ids: list[int] | None = None  # None: every office
    category_id: int | None = None
    labels: dict = field(default_factory=dict)  # office / category names for the headings


# ---------------------------------------------------------------- helpers

def _epoch(column):
    """Seconds since 1970 (UTC) of a timestamp column, computed by the database."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), Float)  # numeric on PostgreSQL: as float, not Decimal


def _bounds(d_from: date, d_to: date) -> tuple[datetime, datetime]:
    return aware(d_from, time(0, 0)), aware(d_to + timedelta(days=1), time(0, 0))


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default) over an already sorted list."""
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    """Mean, median and 90th percentile in minutes, rounded to a tenth."""
    values.sort()
    n = len(values)

    def r(x):
        return None if x is None else round(x, 1)
    return {"n": n, "mean": r(sum(values) / n if n else None), "median": r(percentile(values, 0.5)),
            "p90": r(percentile(values, 0.9))}


def categories() -> list[tuple[int, str, str]]:
    """(id, code, name) of the reporting categories, in seed 000's order."""
    return [tuple(r) for r in db.session.execute(
        select(ServiceCategory.id, ServiceCategory.code, ServiceCategory.name).order_by(ServiceCategory.position))]


# ---------------------------------------------------------------- the period report

def _office_clause(column, office_ids):
    return column.in_(office_ids) if len(office_ids) != 1 else column == office_ids[0]


def _ticket_rows(f: ReportFilter):
    """One row per ticket issued in the period: (ticket, issued, first call, last call, start, done,
    no-show flag, service at issue, booked flag), times as epoch seconds.

    Two steps, both on covering indexes: the range of ticket ids issued in the period, then every
    event of the tickets in that range, grouped by ticket in index order (no sort, no table reads).
    Tickets of the range issued outside the period are dropped by the caller."""
    start, end = _bounds(f.d_from, f.d_to)
    span = select(func.min(Event.ticket_id), func.max(Event.ticket_id)).where(
        Event.kind == "issued", Event.ts >= start, Event.ts < end)
    if f.office_ids is not None:
        span = span.where(_office_clause(Event.office_id, f.office_ids))
    conn = db.session.connection()  # Core rows, no ORM result machinery: this is the hot path
    lo, hi = conn.execute(span).one()
    if lo is None:
        return []
    inner = select(Event.ticket_id.label("t"), Event.kind.label("k"), Event.service_id.label("s"),
                   Event.booking_id.label("b"), _epoch(Event.ts).label("e")).where(
        Event.ticket_id >= lo, Event.ticket_id <= hi, Event.kind.in_(TICKET_KINDS))
    if f.office_ids is not None:
        inner = inner.where(_office_clause(Event.office_id, f.office_ids))
    ev = inner.subquery()
    k, e = ev.c.k, ev.c.e
    query = select(
        ev.c.t,
        func.min(case((k == "issued", e))),
        func.min(case((k == "called", e))),
        func.max(case((k == "called", e))),
        func.max(case((k == "started", e))),
        func.max(case((k == "done", e))),
        func.max(case((k == "no_show", literal(1)), else_=literal(0))),
        func.min(case((k == "issued", ev.c.s))),
        func.max(case(((k == "issued") & ev.c.b.is_not(None), literal(1)), else_=literal(0))),
    ).group_by(ev.c.t)
    return conn.execute(query).all()


def _local_hour_cache():
    """UTC hour number -> (local date, weekday, hour); DST offsets are whole hours, so one lookup per hour."""
    cache = {}

    def lookup(epoch: float):
        bucket = int(epoch // 3600)
        hit = cache.get(bucket)
        if hit is None:
            local = datetime.fromtimestamp(bucket * 3600, timezone.utc).astimezone(KYIV)
            hit = cache[bucket] = (local.date(), local.weekday(), local.hour)
        return hit
    return lookup


def report(f: ReportFilter) -> dict:
    service_category = dict(db.session.execute(select(Service.id, Service.category_id)).all())
    cats = categories()
    wanted = None if f.category_id is None else {s for s, c in service_category.items() if c == f.category_id}

    waits, services_min = [], []
    per_cat = defaultdict(lambda: {"visits": 0, "served": 0, "no_show": 0, "waits": []})
    heat = [[0] * 24 for _ in range(7)]
    daily = defaultdict(int)
    visits = booked_arrivals = served = no_shows = 0
    local = _local_hour_cache()
    lo, hi = (b.timestamp() for b in _bounds(f.d_from, f.d_to))
    for _tid, issued, called, last_called, started, done, noshow, service_id, booked in _ticket_rows(f):
        if issued is None or not lo <= issued < hi or (wanted is not None and service_id not in wanted):
            continue
        visits += 1
        booked_arrivals += booked
        day, weekday, hour = local(issued)
        heat[weekday][hour] += 1
        daily[day] += 1
        pc = per_cat[service_category.get(service_id)]
        pc["visits"] += 1
        if called is not None and called >= issued:
            wait = (called - issued) / 60.0
            waits.append(wait)
            pc["waits"].append(wait)
        if noshow:
            no_shows += 1
            pc["no_show"] += 1
        elif done is not None:
            served += 1
            pc["served"] += 1
            begin = started if started is not None else last_called
            if begin is not None and done >= begin:
                services_min.append((done - begin) / 60.0)

    closed = served + no_shows
    by_cat = []
    for cid, code, name in cats:
        pc = per_cat.get(cid)
        if pc is None or not pc["visits"]:
            continue
        by_cat.append({"code": code, "name": name, "visits": pc["visits"], "served": pc["served"],
                       "no_show": pc["no_show"], "wait": summary(pc["waits"])})
    d, days = f.d_from, []
    while d <= f.d_to:
        days.append((d, daily.get(d, 0)))
        d += timedelta(days=1)
    return {
        "from": f.d_from, "to": f.d_to, "labels": f.labels,
        "visits": visits, "booked_arrivals": booked_arrivals, "walk_ins": visits - booked_arrivals,
        "served": served, "no_show": no_shows,
        "no_show_rate": round(no_shows / closed, 4) if closed else None,
        "wait": summary(waits), "service": summary(services_min),
        "bookings": bookings_summary(f, wanted),
        "heatmap": heat, "by_hour": [sum(heat[w][h] for w in range(7)) for h in range(24)],
        "by_weekday": [sum(row) for row in heat], "daily": days, "by_category": by_cat,
        "unclaimed": unclaimed(f),
    }


def bookings_summary(f: ReportFilter, wanted: set[int] | None) -> dict:
    """Bookings whose date falls in the period, by status (the booking rows stay after retention)."""
    query = (select(Booking.status, func.count(Booking.id))
             .where(Booking.day >= f.d_from, Booking.day <= f.d_to).group_by(Booking.status))
    if f.office_ids is not None:
        query = query.where(Booking.office_id.in_(f.office_ids))
    if wanted is not None:
        query = query.where(Booking.service_id.in_(wanted))
    by = dict(db.session.execute(query).all())
    made = sum(v for k, v in by.items() if k not in ("held", "expired"))
    cancelled = by.get("cancelled", 0)
    attended = by.get("checked_in", 0) + by.get("done", 0)
    kept = made - cancelled
    return {"made": made, "cancelled": cancelled, "attended": attended, "no_show": by.get("no_show", 0),
            "upcoming": by.get("booked", 0), "utilisation": round(attended / kept, 4) if kept else None}


def unclaimed(f: ReportFilter) -> dict:
    """Cases of the period whose result is ready and not yet issued, per category (seed 000's table)."""
    start, end = _bounds(f.d_from, f.d_to)
    query = (select(Service.category_id, func.count(Case.id)).join(Service, Service.id == Case.service_id)
             .where(Case.status == "ready", Case.created_at >= start, Case.created_at < end)
             .group_by(Service.category_id))
    if f.office_ids is not None:
        query = query.where(Case.office_id.in_(f.office_ids))
    if f.category_id is not None:
        query = query.where(Service.category_id == f.category_id)
    counts = dict(db.session.execute(query).all())
    rows = [{"code": code, "name": name, "count": counts.get(cid, 0)} for cid, code, name in categories()
            if code != "pickup" and (f.category_id is None or cid == f.category_id)]
    return {"rows": rows, "total": sum(r["count"] for r in rows)}


# ---------------------------------------------------------------- the live dashboard

def live_office(office: Office, now: datetime) -> dict:
    """What an office looks like this minute: queues per service, windows, today's totals."""
    today = now.date()
    names = dict(db.session.execute(select(Service.id, Service.code)).all())
    rows = db.session.execute(select(Ticket.service_id, Ticket.status, Ticket.arrived_at, Ticket.window_id)
                              .where(Ticket.office_id == office.id, Ticket.day == today)).all()
    waiting = defaultdict(lambda: {"waiting": 0, "longest_min": 0})
    busy, served, no_shows, issued = set(), 0, 0, len(rows)
    now_utc = now.astimezone(timezone.utc)
    for service_id, status, arrived_at, window_id in rows:
        if status == "waiting":
            w = waiting[names.get(service_id, "?")]
            w["waiting"] += 1
            w["longest_min"] = max(w["longest_min"], int((now_utc - arrived_at).total_seconds() // 60))
        elif status in ("called", "serving"):
            busy.add(window_id)
        elif status == "done":
            served += 1
        elif status == "no_show":
            no_shows += 1
    windows = []
    for w in db.session.execute(select(Window.id, Window.number, Window.staff_id, Window.paused_reason)
                                .where(Window.office_id == office.id, Window.active).order_by(Window.number)):
        state = ("paused" if w.paused_reason else "busy" if w.id in busy else "idle" if w.staff_id else "closed")
        windows.append({"number": w.number, "state": state})
    bookings = dict(db.session.execute(select(Booking.status, func.count(Booking.id)).where(
        Booking.office_id == office.id, Booking.day == today).group_by(Booking.status)).all())
    counts = {s: sum(1 for w in windows if w["state"] == s) for s in ("busy", "idle", "paused", "closed")}
    return {
        "office": office.code, "name": office.name, "paused_reason": office.paused_reason,
        "at": now.isoformat(timespec="seconds"),
        "services": [{"service": k, **v} for k, v in sorted(waiting.items())],
        "waiting": sum(v["waiting"] for v in waiting.values()),
        "longest_wait_min": max((v["longest_min"] for v in waiting.values()), default=0),
        "windows": windows, "windows_open": counts["busy"] + counts["idle"], "windows_busy": counts["busy"],
        "windows_idle": counts["idle"], "windows_paused": counts["paused"], "windows_closed": counts["closed"],
        "issued_today": issued, "served_today": served, "no_shows_today": no_shows,
        "bookings_missed": bookings.get("no_show", 0),
        "bookings_today": sum(v for k, v in bookings.items() if k in ("booked", "checked_in", "done", "no_show")),
        "arrivals_today": bookings.get("checked_in", 0) + bookings.get("done", 0),
    }


def live_city(offices: list[Office], now: datetime) -> dict:
    rows = [live_office(o, now) for o in offices]
    keys = ("waiting", "windows_open", "windows_paused", "windows_idle", "served_today", "no_shows_today",
            "bookings_missed",
            "bookings_today", "arrivals_today", "issued_today")
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["longest_wait_min"] = max((r["longest_wait_min"] for r in rows), default=0)
    return {"at": now.isoformat(timespec="seconds"), "offices": rows, "total": total}
