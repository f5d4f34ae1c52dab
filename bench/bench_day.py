"""A day in the life of the main office (issue 8): a Tuesday, 09:00–20:00, compressed 120 times.

Run: .venv/bin/python -m bench.bench_day   (from the repository root; about 7 minutes)
     options: --visitors 1500 --windows 12 --boards 10 --phones 300 --speed 120 --seed 8

bench/day.py plays the day against the real server (see its docstring): 1 500 visitors, 15 % of them
booked the day before, 12 operators, 10 hall boards and 300 phones following their tickets, cron's
`flask jobs run` every 30 minutes of the day. Afterwards, from the database: every ticket done, a no-show
or cancelled; from the event log, no ticket called twice and no window with two open tickets; every
call on every board; every phone saw its ticket through; waiting times (arrival, or the booked time,
to the first call), tickets per window, and the server worker's CPU time and peak RSS (/proc).

On SQLite by default; with DATABASE_URL=postgresql://… a database of its own is made on that server
(and dropped after), and with REDIS_URL the server uses Redis as in production.
"""
import argparse
import logging
import os
import tempfile
from datetime import date
from pathlib import Path

from bench.common import bench_database, percentile, print_table, result
from bench.day import Plan, run_day

TUESDAY = date(2026, 11, 24)
TARGET_WAIT_P90_MIN = 30.0   # for walk-ins at this load: a queue that keeps moving, nobody forgotten
TARGET_CPU_SHARE = 0.5       # of one core, with the day running 120 times faster than real
TARGET_RSS_MB = 400.0


def waits_row(name: str, minutes: list[float]) -> list:
    if not minutes:
        return [name, 0, "-", "-", "-"]
    return [name, len(minutes), *(percentile(minutes, p) for p in (50, 90, 99))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=1500)
    ap.add_argument("--windows", type=int, default=12)
    ap.add_argument("--boards", type=int, default=10)
    ap.add_argument("--phones", type=int, default=300)
    ap.add_argument("--speed", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    plan = Plan(day=TUESDAY, visitors=args.visitors, windows=tuple(range(1, args.windows + 1)), boards=args.boards,
                phones=args.phones, speed=args.speed, seed=args.seed)
    redis = os.environ.get("REDIS_URL")
    with bench_database("day") as url, tempfile.TemporaryDirectory(prefix="bench-day-") as tmp:
        engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"{TUESDAY:%A %d.%m.%Y} at the main office: {plan.visitors} visitors, {len(plan.windows)} windows, "
              f"{plan.boards} boards, {plan.phones} phones; clock x{plan.speed:g}; {engine}"
              f"{' + Redis' if redis else ''}", flush=True)
        day = run_day(url, plan, Path(tmp), redis_url=redis)

    issued = sum(day.statuses.values())
    closed = sum(n for s, n in day.statuses.items() if s in ("done", "no_show", "cancelled"))
    cpu_share = day.cpu_s / day.wall_s
    print()
    print_table(["figure", "value"], [
        ["the day took (real)", f"{day.wall_s:.0f} s"],
        ["tickets issued", f"{issued}: " + ", ".join(f"{s} {n}" for s, n in sorted(day.statuses.items()))],
        ["turned away at the kiosk", ", ".join(f"{c} {n}" for c, n in day.turned_away.items()) or "none"],
        ["bookings", ", ".join(f"{s} {n}" for s, n in sorted(day.bookings.items()))],
        ["tickets called", day.calls],
        ["calls received per board", " ".join(map(str, day.boards))],
        ["phones following a ticket", f"{day.phones}, {len(day.phone_problems)} missed something"],
        ["served per window", " ".join(f"{w}:{n}" for w, n in sorted(day.served.items()))],
        ["windows busy (call to done or no-show)", f"{day.busy:.0%} of the working hours"],
        ["server CPU over the day", f"{day.cpu_s:.1f} s ({cpu_share:.0%} of a core)"],
        ["server peak RSS", f"{day.rss_mb:.0f} MB"],
    ])
    print()
    print_table(["waiting, minutes of the day", "tickets", "p50", "p90", "p99"],
                [waits_row("walk-in: arrival to first call", day.waits["walk-in"]),
                 waits_row("booked: booked time to first call", day.waits["booked"])])
    for line in day.problems()[:30]:
        print("PROBLEM:", line)

    checks = day.checks()
    result(f"day: tickets closed (done, no-show, cancelled), {plan.visitors} visitors", "all",
           f"{closed}/{issued}", not checks["tickets"] and issued > 0)
    result("day: a ticket called twice, a window with two open (event log)", "0", str(len(checks["event log"])),
           not checks["event log"])
    result(f"day: calls reaching each of {plan.boards} boards", f"{day.calls} each",
           f"min {min(day.boards, default=0)}", not checks["boards"])
    result(f"day: phones seeing their ticket through ({day.phones})", "all",
           f"{day.phones - len(checks['phones'])}/{day.phones}", not checks["phones"])
    walk_in = day.waits["walk-in"]
    p50, p90, p99 = (percentile(walk_in, p) for p in (50, 90, 99)) if walk_in else (float("nan"),) * 3
    result("day: walk-in wait p50/p90/p99", f"p90 <= {TARGET_WAIT_P90_MIN:.0f} min",
           f"{p50:.0f}/{p90:.0f}/{p99:.0f} min", p90 <= TARGET_WAIT_P90_MIN)
    result(f"day: server CPU / peak RSS (clock x{plan.speed:g})",
           f"<= {TARGET_CPU_SHARE:.0%} of a core, <= {TARGET_RSS_MB:.0f} MB",
           f"{cpu_share:.0%}, {day.rss_mb:.0f} MB", cpu_share <= TARGET_CPU_SHARE and day.rss_mb <= TARGET_RSS_MB)
    rest = checks["bookings"] + checks["answers"] + checks["other"]
    result("day: bookings left open, unexpected answers", "0", str(len(rest)), not rest)

if __name__ == "__main__":
    main()
