"""A day in the life of the main office (issue 8), compressed by the app's clock; the driver.

`run_day(database_url, plan, workdir)` plays one day against the real server (gunicorn -k gevent -w 1
on a migrated and seeded database) and returns a `Day` with what bench/day_checks.py found in the
database afterwards. bench/bench_day.py runs the full day, tests/test_day_in_life.py a short one.

1. The day before (the server's clock at 14:00 of the previous day, real speed): operator accounts
   by `flask user create`; part of the visitors book through POST /api/v1/bookings, each from a loopback
   address of its own (the booking API is rate-limited per IP, the limits outlive a run in Redis, so
   the second octet is random per run).
2. The day: the server restarted with QUEUE_FAKE_NOW, QUEUE_CLOCK_SPEED and QUEUE_CLOCK_ANCHOR (the
   driver, cron's `flask jobs run` and the server share that clock). Boards (bench/board_clients.py) and
   phones (bench/phone_clients.py) in processes of their own; one thread per window (call-next, start,
   complete, or recall twice and a no-show) until the end of working hours; one thread of arrivals
   through the kiosk endpoint (walk-ins, and bookings checked in with their code) from a few kiosk
   addresses; a few booked citizens never come; `flask jobs run` every `jobs_every_min` of the day.
3. Half an hour after closing: `flask jobs run` once more (it cancels what still waits, and the last
   unused bookings become no-shows), then the checks.

Service times follow each service card's duration, scaled so that the day's visitors (walking up to
the window and being served) fill `load` of the staffed windows' reception time: the cards' durations
are planning lengths, and 1 500 visitors at 12 windows in 11 hours have about 4 minutes each.
"""
import logging
import math
import multiprocessing as mp
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import board_clients, phone_clients
from bench.common import ROOT
from bench.day_checks import Day, check_day
from bench.server import Http, LoopbackAddresses, Server
from scheduling import KYIV

log = logging.getLogger(__name__)
OFFICE = "main"
PASSWORD = "day-in-life-pass"
HOURLY = (1.0, 1.4, 1.4, 1.1, 1.0, 1.2, 1.1, 0.9, 0.9, 0.7, 0.5)  # arrivals by hour from opening
WALK_UP_MIN = (0.2, 1.0)   # from the call to the window, minutes of the day (uniform)
# The last cron run checked: half an hour after closing, when a booking of the last slot that nobody
# used is a no-show too (NO_SHOW_TOLERANCE_MIN after its start).
AFTER_CLOSING_MIN = 31
KIOSKS = 8                 # addresses the walk-ins come from (120 tickets a minute each at most)
# Before the office opens, the server and the clients get this many real seconds, or this many minutes
# of the day if longer: a slow start then costs a quiet morning, not a rush at the doors.
CLIENT_START_S, CLIENT_START_MIN = 6.0, 30


@dataclass(frozen=True)
class Plan:
    day: date
    visitors: int
    windows: tuple[int, ...]   # window numbers, one operator each
    boards: int
    phones: int
    speed: float               # QUEUE_CLOCK_SPEED: minutes of the day per real second = speed / 60
    booked_share: float = 0.15
    never_come: float = 0.05   # of the bookings
    late: float = 0.05         # of the bookings: more than 15 minutes late, they queue as walk-ins
    no_show: float = 0.03      # of the calls
    load: float = 0.75
    jobs_every_min: int | None = 30  # cron's `flask jobs run` in minutes of the day (None: only after closing)
    seed: int = 8


@dataclass
class Visitor:
    service: str
    arrives: datetime | None   # None: a booking never used
    phone: bool = False
    code: str | None = None    # the booking code to check in with


@dataclass
class Tally:
    """What the driver and its clients saw; bench/day_checks.py weighs it against the database."""
    turned_away: dict = field(default_factory=dict)    # kiosk refusals by error code
    errors: list = field(default_factory=list)         # unexpected answers
    followed: list = field(default_factory=list)       # ticket ids a phone follows
    board_seen: list = field(default_factory=list)     # per board: {ticket id: arrival}
    boards_connected: int = 0
    phone_seen: dict = field(default_factory=dict)     # ticket id: statuses in order
    cpu_s: float = 0.0                                 # the server worker's, over the day
    rss_mb: float = 0.0                                # its peak resident set
    wall_s: float = 0.0                                # real seconds from opening to the last call
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Clock:
    """The day's clock as the server reads it: start + (real - anchor) * speed."""

    def __init__(self, start: datetime, speed: float, anchor: float):
        self.start, self.speed, self.anchor = start, speed, anchor

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)

    def real(self, moment: datetime) -> float:
        return self.anchor + (moment - self.start).total_seconds() / self.speed

    def sleep_until(self, moment: datetime) -> None:
        time.sleep(max(0.0, self.real(moment) - time.time()))

    def sleep(self, minutes: float, floor: float = 0.0) -> None:
        time.sleep(max(floor, minutes * 60 / self.speed))

    def env(self) -> dict:
        return {"QUEUE_FAKE_NOW": self.start.isoformat(), "QUEUE_CLOCK_SPEED": str(self.speed),
                "QUEUE_CLOCK_ANCHOR": repr(self.anchor)}


def _flask(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(proc.args[3:])} failed: {err[-2000:]}")
    return out


def _at(d: date, hhmm: str) -> datetime:
    return datetime.combine(d, datetime.strptime(hhmm, "%H:%M").time(), KYIV)


class Office:
    """The office's day as the API describes it: hours, windows and services."""

    def __init__(self, http: Http, plan: Plan):
        day = http.get(f"/api/v1/offices/{OFFICE}/schedule?from={plan.day}&to={plan.day}")["days"][0]
        self.opens, self.reception_ends = _at(plan.day, day["reception"][0][0]), _at(plan.day, day["reception"][-1][1])
        self.closes = _at(plan.day, day["open"][-1][1])  # the end of working hours: the last call
        windows = {w["number"]: w for w in http.get(f"/api/v1/offices/{OFFICE}/windows")}
        self.windows = {n: windows[n]["id"] for n in plan.windows}
        served = {s for n in plan.windows for s in windows[n]["services"]}
        self.services = {s["code"]: s for s in http.get(f"/api/v1/services?office={OFFICE}") if s["code"] in served}
        self.skills = {n: {} for n in plan.windows}  # window number: {category: [service, …]}
        for n in plan.windows:
            for code in sorted(windows[n]["services"]):
                self.skills[n].setdefault(self.services[code]["category"], []).append(code)


def make_visitors(plan: Plan, office: Office, rnd: random.Random) -> list[Visitor]:
    """Who comes when, and for what. Arrivals are weighted by the hour; the demand is spread evenly
    over the staffed windows (as a manager staffs them for it), then over each one's categories (a
    pickup, a district service, …) and their services."""
    hours = math.ceil((office.reception_ends - office.opens).total_seconds() / 3600)
    visitors = []
    for _ in range(plan.visitors):
        while True:
            hour = rnd.choices(range(hours), HOURLY[:hours])[0]
            arrives = office.opens + timedelta(hours=hour, minutes=rnd.uniform(0, 60))
            if arrives < office.reception_ends:
                break
        skills = office.skills[rnd.choice(plan.windows)]
        visitors.append(Visitor(rnd.choice(skills[rnd.choice(sorted(skills))]), arrives))
    return visitors


def book_ahead(http_for, plan: Plan, office: Office, visitors: list[Visitor], rnd: random.Random,
               tally: Tally) -> None:
    """Book for a share of the visitors the day before, at the free slot nearest their arrival. Who
    finds no slot comes as a walk-in."""
    bookable = [v for v in visitors if office.services[v.service]["bookable"]]
    slots: dict[str, list[str]] = {}
    for v in rnd.sample(bookable, min(len(bookable), round(plan.visitors * plan.booked_share))):
        http = http_for()
        if v.service not in slots:
            got = http.get(f"/api/v1/offices/{OFFICE}/slots?service={v.service}&date={plan.day}")
            slots[v.service] = [s["start"] for s in got["slots"]]
        for start in sorted(slots[v.service], key=lambda s: abs((_at(plan.day, s) - v.arrives).total_seconds()))[:3]:
            status, body = http.call("POST", "/api/v1/bookings", {
                "office": OFFICE, "service": v.service, "date": str(plan.day), "start": start,
                "name": "Олена Петренко", "phone": f"+38067{rnd.randrange(10**7):07d}"})
            if status == 409:
                slots[v.service].remove(start)
                continue
            if status != 201:
                tally.error(f"booking: {status} {body}")
                break
            v.code = body["code"]
            booked = _at(plan.day, start)
            roll = rnd.random()
            if roll < plan.never_come:
                v.arrives = None
            elif roll < plan.never_come + plan.late:
                v.arrives = booked + timedelta(minutes=rnd.uniform(16, 28))
            else:  # a little early, as asked, but not before the doors open
                v.arrives = max(office.opens, booked + timedelta(minutes=rnd.uniform(-25, 5)))
            break


def arrivals(http_pool: list[Http], clock: Clock, visitors: list[Visitor], phones, tally: Tally) -> None:
    """The kiosk: each visitor at the arrival time, a walk-in ticket or a check-in with the booking code."""
    coming = sorted((v for v in visitors if v.arrives), key=lambda v: v.arrives)
    for n, v in enumerate(coming):
        clock.sleep_until(v.arrives)
        body = {"booking_code": v.code} if v.code else {"service": v.service}
        status, answer = http_pool[n % len(http_pool)].call("POST", f"/api/v1/offices/{OFFICE}/tickets", body)
        if status == 201:
            if v.phone:
                tally.followed.append(answer["id"])
                phones[len(tally.followed) % len(phones)].send(("follow", answer["id"]))
        elif status == 409:
            code = answer["error"]["code"]
            tally.turned_away[code] = tally.turned_away.get(code, 0) + 1
        else:
            tally.error(f"ticket: {status} {answer}")


def operator(http: Http, window_id: int, clock: Clock, office: Office, plan: Plan, share: float, seed: int,
             tally: Tally) -> None:
    """One window's day: call the next ticket until the end of working hours and see it through."""
    rnd = random.Random(seed)

    def act(path: str) -> None:
        status, body = http.call("POST", path)
        if status != 200:
            tally.error(f"{path}: {status} {body}")

    clock.sleep_until(office.opens)
    while clock.now() < office.closes:
        status, body = http.call("POST", f"/api/v1/windows/{window_id}/call-next")
        if status == 204:
            clock.sleep(1.0, floor=0.1)  # nobody waits: look again in a minute
            continue
        if status != 200:
            tally.error(f"call-next: {status} {body}")
            clock.sleep(1.0, floor=0.1)
            continue
        ticket = body["ticket"]
        if rnd.random() < plan.no_show:  # nobody comes: two recalls a minute apart, then a no-show
            steps = [(1.0, "recall"), (1.0, "recall"), (1.0, "no-show")]
        else:  # the citizen walks up, then is served for around the card's duration, scaled (mean 1)
            minutes = office.services[ticket["service"]]["duration_min"] * share * rnd.lognormvariate(-0.08, 0.4)
            steps = [(rnd.uniform(*WALK_UP_MIN), "start"), (minutes, "complete")]
        moment = clock.now()
        for minutes, action in steps:
            moment += timedelta(minutes=minutes)  # on the day's clock: request times do not add up
            clock.sleep_until(moment)
            act(f"/api/v1/tickets/{ticket['id']}/{action}")


def _clients(target, count: int, per_process: int, args):
    ctx = mp.get_context("spawn")
    pipes, procs = [], []
    for n in range(max(1, math.ceil(count / per_process))):
        mine, theirs = ctx.Pipe()
        size = min(per_process, count - n * per_process)
        proc = ctx.Process(target=target, args=(theirs, *args(size)), daemon=True)
        proc.start()
        theirs.close()
        pipes.append(mine)
        procs.append(proc)
    return pipes, procs


def _receive(conn, what: str, timeout: float = 120):
    if not conn.poll(timeout):
        raise RuntimeError(f"a client process did not send {what}")
    reply = conn.recv()
    if reply[0] != what:
        raise RuntimeError(f"a client process: {reply[1]}")
    return reply


def _token(http: Http, username: str) -> str:
    """A bearer token as an operator's client gets one (valid for 12 hours, so from the day before too)."""
    status, body = http.call("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"token for {username}: {status} {body}")
    return body["token"]


def run_day(database_url: str, plan: Plan, workdir: Path, redis_url: str | None = None) -> Day:
    board_clients.raise_nofile()  # the server inherits it: every board and phone holds a descriptor
    rnd = random.Random(plan.seed)
    addresses = LoopbackAddresses()
    base = {k: v for k, v in os.environ.items() if not k.startswith("QUEUE_") and k != "REDIS_URL"}
    base |= {"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"} | ({"REDIS_URL": redis_url} if redis_url else {})
    tally = Tally()

    # The day before.
    eve = base | {"QUEUE_FAKE_NOW": _at(plan.day - timedelta(days=1), "14:00").isoformat()}
    accounts = [_flask(eve, "user", "create", f"day-op-{n}", "--password", PASSWORD, "--role", "operator",
                       "--office", OFFICE) for n in plan.windows]
    with Server(eve, workdir / "server-eve.log") as server:
        office = Office(Http(server.port, addresses.next()), plan)
        visitors = make_visitors(plan, office, rnd)
        book_ahead(lambda: Http(server.port, addresses.next()), plan, office, visitors, rnd, tally)
        noon = office.opens + (office.reception_ends - office.opens) / 2
        for v in rnd.sample([v for v in visitors if v.arrives and v.arrives < noon], plan.phones):
            v.phone = True  # they come before the kiosk turns anyone away as too late for today
        for proc in accounts:
            _finish(proc)
        tokens = {n: _token(Http(server.port, addresses.next()), f"day-op-{n}") for n in plan.windows}
    log.info("the day before: %d operators, %d bookings", len(accounts), sum(1 for v in visitors if v.code))

    # The day: the clock reads the opening time a little from now.
    clock = Clock(office.opens, plan.speed, time.time() + max(CLIENT_START_S, CLIENT_START_MIN * 60 / plan.speed))
    day_env = base | clock.env()
    # Service times scaled so that walking up and being served fill `load` of the windows' reception time.
    coming = [v for v in visitors if v.arrives]
    capacity = plan.load * len(plan.windows) * (office.reception_ends - office.opens).total_seconds() / 60
    walking = len(coming) * sum(WALK_UP_MIN) / 2
    share = (capacity - walking) / sum(office.services[v.service]["duration_min"] for v in coming)
    with Server(day_env, workdir / "server-day.log") as server:
        boards, board_procs = _clients(board_clients.client_process, plan.boards, 50,
                                       lambda n: (server.url, OFFICE, n))
        phones, phone_procs = _clients(phone_clients.client_process, plan.phones, 200, lambda _n: (server.url,))
        try:
            tally.boards_connected = sum(_receive(conn, "ready")[1]["connected"] for conn in boards)
            desks = {n: Http(server.port, addresses.next(), tokens[n]) for n in plan.windows}
            cpu_before = server.usage()[0]
            spare = clock.real(office.opens) - time.time()
            if spare < 0:  # a busy machine: the first visitors come at once, the queue starts long
                log.warning("the clients were ready %.1f s after opening", -spare)
            kiosks = [Http(server.port, addresses.next()) for _ in range(KIOSKS)]
            threads = [threading.Thread(target=arrivals, args=(kiosks, clock, visitors, phones, tally))]
            threads += [threading.Thread(target=operator, args=(desks[n], office.windows[n], clock, office, plan,
                                                                share, plan.seed * 100 + n, tally))
                        for n in plan.windows]
            stop = threading.Event()
            cron = threading.Thread(target=_cron, args=(day_env, clock, office, plan, stop, tally))
            for t in threads + [cron]:
                t.start()
            for t in threads:
                t.join()
            tally.wall_s = time.time() - clock.real(office.opens)
            tally.cpu_s, tally.rss_mb = server.usage()
            tally.cpu_s -= cpu_before
            stop.set()
            cron.join()  # cron's runs never overlap
            clock.sleep_until(office.closes + timedelta(minutes=AFTER_CLOSING_MIN))
            log.info("closed after %.1f s; flask jobs run: %s", tally.wall_s,
                     _finish(_flask(day_env, "jobs", "run")).strip())  # what still waits is cancelled
            for conn in boards + phones:
                conn.send(("collect", 2.0))
            tally.board_seen = [got for conn in boards for got in _receive(conn, "arrivals")[1]]
            for conn in phones:
                _, seen, errors = _receive(conn, "seen")
                tally.phone_seen |= seen
                tally.errors += errors
        finally:
            for conn in boards:
                try:
                    conn.send(("quit", None))
                except OSError:
                    pass
            for proc in board_procs + phone_procs:
                proc.join(10)
                if proc.is_alive():
                    proc.terminate()
    return check_day(database_url, plan, office, tally, via_redis=redis_url is not None)


def _cron(env: dict, clock: Clock, office: Office, plan: Plan, stop: threading.Event, tally: Tally) -> None:
    """`flask jobs run` as cron starts it, every `jobs_every_min` minutes of the day."""
    moment = office.opens
    while plan.jobs_every_min and not stop.is_set():
        moment += timedelta(minutes=plan.jobs_every_min)
        if stop.wait(max(0.0, clock.real(moment) - time.time())):
            return
        try:
            _finish(_flask(env, "jobs", "run"))
        except RuntimeError as exc:
            tally.error(str(exc))
