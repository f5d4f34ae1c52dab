"""The live queue: issuing tickets, calling them to windows, and every step after.

Each change is one transaction that also appends to the event log; real-time messages go out
only after the commit, so a board never shows what the database does not hold.
"""
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Row, and_, bindparam, case, func, insert, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached

from scheduling import aware

from . import clock, estimates, realtime
from .cache import cached
from .calendars import office_days
from .errors import ApiError
from .extensions import core, db
from .models import (ACTIVE_TICKET, Booking, Case, Event, Office, OfficeService, PriorityCategory,
                     Service, Ticket, TicketCounter, Window, status_in, window_services)
from .policy import Waiting, call_order

# How early a booked citizen may check in, and how late before the booking lapses to a walk-in.
CHECK_IN_EARLY = timedelta(minutes=60)
CHECK_IN_LATE = timedelta(minutes=15)
NO_SHOW_AFTER_RECALLS = 2


# Statements of the hottest paths (a ticket issued, a ticket called) are built once: building one
# costs more than running it. Values come as execution parameters.
_LOG = insert(Event.__table__)
_INSERT_TICKET = insert(Ticket.__table__).returning(Ticket.__table__.c.id)
_NEXT_SEQ = {
    name: dialect_insert(TicketCounter.__table__)
    .values(office_id=bindparam("office_id"), day=bindparam("day"), letter=bindparam("letter"), last=1)
    .on_conflict_do_update(index_elements=["office_id", "day", "letter"], set_={"last": TicketCounter.last + 1})
    .returning(TicketCounter.__table__.c.last)
    for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}


# A window's "Next": close its current ticket, claim a waiting one. Core statements on the table,
# returning the row they changed: the ORM's UPDATE … RETURNING of the entity costs several times as
# much, and the boards wait on it.
_T = Ticket.__table__
_CHANGED = (_T.c.id, _T.c.letter, _T.c.seq, _T.c.status, _T.c.source, _T.c.office_id, _T.c.booking_id, _T.c.service_id,
            _T.c.window_id, _T.c.called_at, _T.c.rev)
_FINISH = (update(_T).where(_T.c.window_id == bindparam("window"), status_in(_T.c.status, ACTIVE_TICKET))
           .values(status=case((and_(_T.c.status == "called", _T.c.recalls >= NO_SHOW_AFTER_RECALLS), "no_show"),
                               else_="done"), finished_at=bindparam("now"), rev=_T.c.rev + 1)
           .returning(*_CHANGED))
_CLAIM = (update(_T).where(_T.c.id == bindparam("ticket"), _T.c.status == "waiting")
          .values(status="called", window_id=bindparam("window"), called_at=bindparam("now"), rev=_T.c.rev + 1)
          .returning(*_CHANGED))
# The waiting tickets as the policy sees them.
_WAITING_HERE = (Ticket.office_id == bindparam("office"), Ticket.day == bindparam("day"), Ticket.status == "waiting")
_WAITING = (select(Ticket.id, Service.code, Ticket.arrived_at, Booking.day, Booking.start, Ticket.priority)
            .join(Service, Service.id == Ticket.service_id)
            .outerjoin(Booking, and_(Booking.id == Ticket.booking_id, Ticket.source == "booking"))
            .where(*_WAITING_HERE))
# For a window, of its services only, read in the same statement (through the association table:
# loading the window's services as objects, with their categories, costs more than the rest of a call).
_OF_WINDOW = Ticket.service_id.in_(
    select(window_services.c.service_id).where(window_services.c.window_id == bindparam("window")))
# What "Next" reads. A plain ticket (no booking, no priority) keeps its place among the plain ones, so
# only the first PLAIN_READ of them by arrival can be called next: the rest of a long queue is not read
# (reading every waiting ticket was a third of a call). Booked and priority tickets are all read.
PLAIN_READ = 8
_PLAIN_TICKET = and_(Ticket.priority.is_(None), or_(Ticket.source != "booking", Ticket.booking_id.is_(None)))
_FIRST_PLAIN = (select(Ticket.id).where(*_WAITING_HERE, _OF_WINDOW, _PLAIN_TICKET)
                .order_by(Ticket.arrived_at, Ticket.id).limit(PLAIN_READ))
_NEXT_FOR_WINDOW = _WAITING.where(_OF_WINDOW, or_(not_(_PLAIN_TICKET), Ticket.id.in_(_FIRST_PLAIN)))


def event(ticket: Ticket | Row, kind: str, staff_id: int | None = None, **data) -> dict:
    """The event log's row of a step, for log() or for writing with others in one statement."""
    return {"ts": clock.now(), "office_id": ticket.office_id, "kind": kind, "ticket_id": ticket.id,
            "booking_id": ticket.booking_id, "service_id": ticket.service_id, "window_id": ticket.window_id,
            "staff_id": staff_id, "data": data}


def log(ticket: Ticket, kind: str, staff_id: int | None = None, **data) -> None:
    # A plain INSERT, not the unit of work: the log is append-only and nothing reads the row back in
    # this transaction.
    core(_LOG, event(ticket, kind, staff_id, **data))


def _next_seq(office: Office, day: date, letter: str) -> int:
    """Take the next number of the office/day/letter in one upsert; its row lock makes issues take turns."""
    stmt = _NEXT_SEQ[db.engine.dialect.name]
    return db.session.execute(stmt, {"office_id": office.id, "day": day, "letter": letter}).scalar_one()


def reception_now(office: Office, now: datetime):
    """(today, the reception interval we are in or None)."""
    day = office_days(office, now.date(), now.date())[0]
    current = next(((a, b) for a, b in day.reception if a <= now.time() < b), None)
    return day, current


def next_opening(office: Office, now: datetime) -> datetime | None:
    """When reception next opens after `now`, within two weeks."""
    for day in office_days(office, now.date(), now.date() + timedelta(days=14)):
        for start, _end in day.reception:
            moment = aware(day.date, start)
            if moment > now:
                return moment
    return None


def closed_message(office: Office, now: datetime) -> str:
    opening = next_opening(office, now)
    if opening is None:
        return _("Офіс зараз не приймає відвідувачів.")
    return _("Офіс зараз не приймає відвідувачів. Прийом відновиться %(date)s о %(time)s.",
             date=opening.strftime("%d.%m"), time=opening.strftime("%H:%M"))


def _check_can_issue(office: Office, service: Service, now: datetime, walk_in: bool) -> int:
    """Raise why no ticket can be issued now; else return how many already wait for the service."""
    if office.paused_reason:
        raise ApiError(409, "office_paused", _("Видачу талонів призупинено: %(reason)s", reason=office.paused_reason))
    day, current = reception_now(office, now)
    if current is None:
        raise ApiError(409, "office_closed", closed_message(office, now))
    terms = db.session.get(OfficeService, (office.id, service.id))
    if terms is None:
        raise ApiError(422, "service_not_offered", _("Ця послуга в цьому офісі не надається."))
    if walk_in and day.appointment_only:
        raise ApiError(409, "appointment_only", _("Сьогодні прийом лише за попереднім записом."))
    closing = aware(day.date, day.reception[-1][1])
    last_call = closing - timedelta(minutes=service.duration_min)
    if terms.last_ticket_time:
        last_call = min(last_call, aware(day.date, datetime.strptime(terms.last_ticket_time, "%H:%M").time()))
    ahead = estimates.waiting_count(office, service)
    if now + timedelta(minutes=estimates.wait_minutes(office, service, ahead)) > last_call:
        raise ApiError(409, "too_late_today",
                       _("Сьогодні цю послугу вже не встигнуть надати. Приходьте, будь ласка, завтра."))
    if walk_in and terms.daily_cap is not None:
        issued = db.session.scalar(select(func.count(Ticket.id)).where(
            Ticket.office_id == office.id, Ticket.service_id == service.id, Ticket.day == now.date(),
            Ticket.source == "walk_in"))
        if issued >= terms.daily_cap:
            raise ApiError(409, "daily_cap_reached", _("На сьогодні талони на цю послугу закінчилися."))
    return ahead


def _insert_ticket(**columns) -> Ticket:
    """INSERT the row, then hand the session a Ticket that holds exactly those values, as if loaded:
    the unit of work's flush would cost as much as the rest of the issue together."""
    columns["id"] = db.session.execute(_INSERT_TICKET, columns).scalar_one()
    ticket = Ticket(**columns)
    make_transient_to_detached(ticket)
    db.session.add(ticket)
    return ticket


class Issued(NamedTuple):
    """A new ticket and the kiosk's answer about it (the contract's ticket and when it was issued).
    The answer is made before the commit: after it every attribute would be read again from the
    database, on the kiosk's busiest path."""
    ticket: Ticket
    receipt: dict


def issue_ticket(office: Office, service: Service, source: str = "walk_in", booking: Booking | None = None,
                 case: Case | None = None) -> Issued:
    """A ticket for `service`: a walk-in, a booking's check-in (source "booking"; a late arrival's ticket
    keeps its booking for the statistics but waits as a walk-in), or the pick-up of a `case`."""
    now = clock.now()
    walk_in = source != "booking"
    ahead = _check_can_issue(office, service, now, walk_in=walk_in)
    letter = service.ticket_letter
    ticket = _insert_ticket(office_id=office.id, service_id=service.id, day=now.date(), letter=letter,
                            seq=_next_seq(office, now.date(), letter), status="waiting", source=source,
                            priority=None, booking_id=booking.id if booking else None, window_id=None,
                            arrived_at=now, called_at=None, started_at=None, finished_at=None, recalls=0, rev=0)
    log(ticket, "issued", source=source)
    if case is not None:
        log(ticket, "case_pickup", case=case.code)
    # A walk-in comes after everyone already waiting for the service (bookings not yet due aside):
    # its estimate needs no second look at the queue.
    estimate = (ahead + 1, estimates.wait_minutes(office, service, ahead)) if walk_in else None
    receipt = realtime.ticket_json(ticket, estimate)
    receipt["issued_at"] = now.isoformat()
    office_code = office.code
    db.session.commit()
    realtime.queue_changed(office_code)
    return Issued(ticket, receipt)


def check_in(office: Office, code: str) -> tuple[Issued, str]:
    """A booked citizen arrives: a ticket called near the booked time. Returns it and a note for the screen."""
    now = clock.now()
    booking = db.session.scalar(select(Booking).where(Booking.code == code, Booking.office_id == office.id,
                                                      Booking.status == "booked"))
    if booking is None or booking.day != now.date():
        raise ApiError(404, "unknown_booking", _("Запис із таким кодом на сьогодні в цьому офісі не знайдено."))
    booked_at = aware(booking.day, booking.start)
    if now < booked_at - CHECK_IN_EARLY:
        raise ApiError(409, "too_early", _("Ви прийшли зарано. Зареєструйтеся після %(when)s.",
                                           when=(booked_at - CHECK_IN_EARLY).strftime("%H:%M")))
    late = now > booked_at + CHECK_IN_LATE
    booking.status = "checked_in"
    if late:
        note = _("Ви запізнилися на запис, тому вас обслужать у загальній черзі.")
    elif now < booked_at - timedelta(minutes=10):
        note = _("Вас викличуть близько %(time)s.", time=booking.start.strftime("%H:%M"))
    else:
        note = _("Очікуйте виклику найближчим часом.")
    return issue_ticket(office, booking.service, source="walk_in" if late else "booking", booking=booking), note


def pickup_by_case(office: Office, code: str) -> Issued:
    """«My documents are ready»: the case code from the SMS gives a ticket to the pick-up service."""
    case = db.session.scalar(select(Case).where(Case.code == code))
    if case is None or case.status != "ready":
        raise ApiError(404, "unknown_case", _("Готових документів із таким кодом не знайдено."))
    if case.office_id != office.id:
        raise ApiError(409, "other_office", _("Ваші документи чекають в іншому офісі: %(name)s, %(address)s.",
                                              name=case.office.name, address=case.office.address))
    pickup = db.session.scalar(select(Service).where(Service.code == "pickup"))
    return issue_ticket(office, pickup, source="pickup", case=case)


def waiting_of(office_id: int, day: date, services: frozenset[str] | None = None) -> list[Waiting]:
    """The waiting tickets of an office and day as the policy sees them, of `services` only if given.
    (Tickets change through Core statements, which run at once: nothing pending in the session needs
    flushing first.)"""
    query = _WAITING if services is None else _WAITING.where(Service.code.in_(services))
    return _as_waiting(core(query, {"office": office_id, "day": day}))


def _next_candidates(window: "Window | WindowRef", now: datetime) -> list[Waiting]:
    """The tickets "Next" may call at `window` now, best first (of its services, the plain ones cut short)."""
    waiting = _as_waiting(core(_NEXT_FOR_WINDOW, {"office": window.office_id, "day": now.date(), "window": window.id}))
    return call_order(now, waiting, frozenset(w.service for w in waiting))


def _as_waiting(rows) -> list[Waiting]:
    return [Waiting(r[0], r[1], r[2], aware(r[3], r[4]) if r[3] else None, r[5] is not None) for r in rows]


class Closing(NamedTuple):
    """The ticket "Next" closed, as the UPDATE left it, and its event row, unwritten: the call writes it
    with its own in one statement, and tells the closed ticket's phone after the boards."""
    row: Row
    event: dict


def _finish_current(window: "Window | WindowRef", staff_id: int | None) -> list[Closing]:
    """"Next" closes the window's ticket: served, or a no-show if it was called, recalled and never
    started. One UPDATE decides from the row as it stands and returns the ticket it closed, if any."""
    closed = core(_FINISH, {"window": window.id, "now": clock.now()}).one_or_none()
    return [] if closed is None else [Closing(closed, _closed(closed, staff_id))]


def _tell_closed(closing: Sequence[Closing], window: "Window | WindowRef") -> None:
    """Tell the phone of the ticket "Next" closed, after the boards (a service's code never changes)."""
    for row, _event in closing:
        service = cached("service_code", (row.service_id,), 3600.0,
                         lambda sid=row.service_id: db.session.scalar(select(Service.code).where(Service.id == sid)))
        realtime.ticket_changed(row, realtime.closed_ticket_json(row, service, window.number, window.office_code))


def _close(ticket: Ticket, status: str, staff_id: int | None) -> None:
    ticket.status, ticket.finished_at = status, clock.now()
    core(_LOG, _closed(ticket, staff_id))


def _closed(ticket: Ticket | Row, staff_id: int | None) -> dict:
    """The booking follows its closed ticket; returns the closing's event row, for the caller to write."""
    if ticket.booking_id and ticket.source == "booking":
        db.session.execute(update(Booking).where(Booking.id == ticket.booking_id).values(
            status="done" if ticket.status == "done" else "no_show"))
    return event(ticket, ticket.status, staff_id)


def _claim(ticket_id: int, window: "Window | WindowRef", now: datetime) -> Row | None:
    """Take a waiting ticket for this window; None if another window was quicker. The row returned is
    the ticket as the claim left it."""
    return core(_CLAIM, {"ticket": ticket_id, "window": window.id, "now": now}).one_or_none()


class Called(NamedTuple):
    """A ticket just called: its id, and the contract's ticket as the operator and the ticket page get it."""
    id: int
    json: dict


class WindowRef(NamedTuple):
    """What "Next" needs of a window, read as one row (loading the Window with its office costs ten
    times as much, and the boards wait on it). Window has the same attributes."""
    id: int
    number: int
    office_id: int
    office_code: str
    paused_reason: str | None


_WINDOW_REF = (select(Window.id, Window.number, Window.office_id, Office.code, Window.paused_reason)
               .join(Office, Office.id == Window.office_id).where(Window.id == bindparam("id")))


def window_ref(window_id: int) -> WindowRef | None:
    row = core(_WINDOW_REF, {"id": window_id}).one_or_none()
    return WindowRef(*row) if row is not None else None


def call_next(window: Window | WindowRef, staff_id: int | None = None) -> Called | None:
    """Finish the window's current ticket and call the best waiting one for it (None if nobody waits)."""
    if window.paused_reason:
        raise ApiError(409, "window_paused", _("Вікно на паузі. Відновіть роботу, щоб викликати."))
    now = clock.now()
    closing = _finish_current(window, staff_id)
    # Each candidate another window was quicker to take has left the queue: read again until one is
    # claimed or none is left (a part of the queue was read, so "none claimed" is not "nobody waits").
    while candidates := _next_candidates(window, now):
        for candidate in candidates:
            claimed = _claim(candidate.id, window, now)
            if claimed is not None:
                return _announce(claimed, staff_id, window, candidate.service, closing)
    if closing:
        core(_LOG, [c.event for c in closing])
    db.session.commit()
    _tell_closed(closing, window)
    realtime.queue_changed(window.office_code)
    return None


def call_ticket(window: Window, ticket: Ticket, staff_id: int | None = None) -> Called:
    """Call a specific waiting ticket (the operator picked it from the list)."""
    _require_window_serves(window, ticket.service)
    closing = _finish_current(window, staff_id)
    claimed = _claim(ticket.id, window, clock.now()) if ticket.office_id == window.office_id else None
    if claimed is None:
        db.session.rollback()
        raise ApiError(409, "already_called", _("Цей талон уже викликано або він не очікує."))
    return _announce(claimed, staff_id, window, ticket.service.code, closing)


def _announce(ticket: Ticket | Row, staff_id: int | None, window: Window | WindowRef, service: str,
              closing: Sequence[Closing] = (), recall: bool = False) -> Called:
    """Log the call (after the closing of the window's ticket, in one statement), commit, tell the boards
    first, then the rest. `ticket` is the claimed row, or the recalled Ticket. Every message is made from what
    is at hand: after the commit each attribute would be read again, and the boards wait on the commit,
    the next call on all that follows it."""
    call = realtime.call_json(ticket, recall, service, window.number)
    office_code, rev = window.office_code, ticket.rev
    core(_LOG, [*(c.event for c in closing), event(ticket, "recalled" if recall else "called", staff_id, window=call["window"])])
    db.session.commit()
    realtime.ticket_called(office_code, call)
    called = Called(call["ticket_id"], realtime.called_ticket_json(call, office_code, rev))
    realtime.ticket_changed(called, called.json)
    _tell_closed(closing, window)
    realtime.queue_changed(office_code)
    return called


def recall(ticket: Ticket, staff_id: int | None = None) -> Ticket:
    if ticket.status != "called":
        raise ApiError(409, "not_called", _("Повторно викликати можна лише викликаний талон."))
    ticket.recalls += 1
    ticket.called_at = clock.now()
    db.session.flush()  # the UPDATE gives the revision the phone's message carries
    _announce(ticket, staff_id, ticket.window, ticket.service.code, recall=True)
    return ticket


def start(ticket: Ticket, staff_id: int | None = None) -> Ticket:
    if ticket.status != "called":
        raise ApiError(409, "not_called", _("Почати обслуговування можна лише викликаного талона."))
    ticket.status, ticket.started_at = "serving", clock.now()
    log(ticket, "started", staff_id)
    return _commit(ticket)


def complete(ticket: Ticket, staff_id: int | None = None) -> Ticket:
    if ticket.status not in ACTIVE_TICKET:
        raise ApiError(409, "not_active", _("Завершити можна лише талон, який обслуговується."))
    _close(ticket, "done", staff_id)
    return _commit(ticket, released=True)


def no_show(ticket: Ticket, staff_id: int | None = None) -> Ticket:
    if ticket.status != "called":
        raise ApiError(409, "not_called", _("Неявку можна відмітити лише для викликаного талона."))
    _close(ticket, "no_show", staff_id)
    return _commit(ticket, released=True)


def set_priority(ticket: Ticket, category: PriorityCategory | None, staff_id: int | None = None) -> Ticket:
    """The administrator has seen the document: the waiting ticket gets the category's head start (or
    loses it, with None). Its arrival time stays; the call-next policy does the rest."""
    if ticket.status != "waiting":
        raise ApiError(409, "not_waiting", _("Пріоритет позначають лише для талона, що очікує."))
    ticket.priority = category.code if category else None
    log(ticket, "priority", staff_id, category=ticket.priority)
    return _commit(ticket)


def _require_window_serves(window: Window, service: Service) -> None:
    if service not in window.services:
        raise ApiError(422, "window_does_not_serve", _("Це вікно не надає послугу «%(name)s».", name=service.name))


def transfer(ticket: Ticket, service: Service | None = None, window: Window | None = None,
             staff_id: int | None = None) -> Ticket:
    """Send the citizen on to another service or window; the original arrival time is kept."""
    if ticket.status not in ("waiting", *ACTIVE_TICKET):
        raise ApiError(409, "not_active", _("Цей талон уже закрито."))
    if window is not None:
        if window.office_id != ticket.office_id:
            raise ApiError(422, "other_office", _("Вікно належить іншому офісу."))
        _require_window_serves(window, service or ticket.service)
    from_window = ticket.window_id
    ticket.service_id = (service or ticket.service).id
    ticket.status, ticket.window_id, ticket.called_at, ticket.started_at = "waiting", None, None, None
    ticket.source = "walk_in" if ticket.source == "booking" else ticket.source  # the booked time is spent
    db.session.flush()
    log(ticket, "transferred", staff_id, from_window=from_window, to_window=window.id if window else None,
        to_service=(service or ticket.service).code)
    db.session.commit()
    if from_window is not None:
        realtime.window_released(ticket, db.session.get(Window, from_window).number)
    if window is not None:
        return db.session.get(Ticket, call_ticket(window, ticket, staff_id).id)
    realtime.ticket_changed(ticket)
    realtime.queue_changed(ticket.office.code)
    return ticket


def _shift_bookings(office: Office, paused_at: datetime, resumed_at: datetime) -> int:
    """Bookings of today that fell due during the pause move later by its length, keeping their order.
    They leave their planned windows (the plan no longer holds), so the call-next policy places them."""
    if paused_at.date() != resumed_at.date():
        paused_at = datetime.combine(resumed_at.date(), datetime.min.time(), resumed_at.tzinfo)
    delay = resumed_at - paused_at
    affected = db.session.scalars(select(Booking).where(
        Booking.office_id == office.id, Booking.day == resumed_at.date(), Booking.status == "booked",
        Booking.start >= (paused_at - CHECK_IN_LATE).time(), Booking.start < resumed_at.time())).all()
    for booking in affected:
        start, end = aware(booking.day, booking.start) + delay, aware(booking.day, booking.end) + delay
        if end.date() != booking.day:
            continue  # it would leave the day: it stays booked where it was
        booking.start, booking.end, booking.window_id = start.time(), end.time(), None
        db.session.add(Event(office_id=office.id, kind="booking_moved", booking_id=booking.id,
                             service_id=booking.service_id, data={"by_min": int(delay.total_seconds() // 60)}))
    return len(affected)


def _commit(ticket: Ticket, released: bool = False) -> Ticket:
    db.session.commit()
    if released and ticket.window is not None:
        realtime.window_released(ticket, ticket.window.number)
    realtime.ticket_changed(ticket)
    realtime.queue_changed(ticket.office.code)
    return ticket


def set_window_pause(window: Window, reason: str | None, staff_id: int | None = None) -> Window:
    window.paused_reason = reason
    db.session.add(Event(office_id=window.office_id, kind="window_paused" if reason else "window_resumed",
                         window_id=window.id, staff_id=staff_id, data={"reason": reason}))
    db.session.commit()
    realtime.queue_changed(window.office.code)
    return window


def set_office_pause(office: Office, reason: str | None, staff_id: int | None = None) -> Office:
    """An office-wide pause (an air-raid alert). Waiting tickets keep their order (their arrival times
    do not change); on resume, bookings that fell due during the pause are moved, not lost."""
    now = clock.now()
    moved = 0
    if reason is None and office.paused_at is not None:
        moved = _shift_bookings(office, office.paused_at.astimezone(now.tzinfo), now)
    office.paused_reason, office.paused_at = reason, (now if reason else None)
    db.session.add(Event(office_id=office.id, kind="office_paused" if reason else "office_resumed",
                         staff_id=staff_id, data={"reason": reason, "moved_bookings": moved}))
    db.session.commit()
    realtime.office_paused(office)
    return office
