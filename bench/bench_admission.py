"""Admission checks against a full main-office day: 500 bookings on 12 windows, 09:00-20:00.

Run from the repository root: `.venv/bin/python bench/bench_admission.py` (the script puts the
root on sys.path) or `.venv/bin/python -m bench.bench_admission`. The day is packed window by
window with bookings on each service's slot grid (so it is feasible and every booking has its
stored window), then 1 000 random requests for a slot of a random service are checked one at a
time against that same day. "cpu" beside "wall" shows how much a busy machine stretched the clock.
"""
import random
import sys
from collections import Counter
from datetime import time
from pathlib import Path
from statistics import quantiles
from time import perf_counter, process_time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table, result  # noqa: E402
from scheduling import BookingInterval, WindowAvailability, admit  # noqa: E402

TARGET_MS = 20.0
BOOKINGS, CHECKS, SEED = 500, 1000, 7
OPEN, CLOSE = 9 * 60, 20 * 60
DURATIONS = {"pickup": 10, "district": 15, "permits": 15, "land": 15, "architecture": 20}
WINDOWS = [{"pickup"}, {"pickup"}, {"pickup", "district"}, {"district"}, {"district"},
           {"district", "architecture"}, {"land", "architecture"}, {"permits"}, {"permits", "district"},
           {"land", "district"}, {"pickup", "district"}, {"district", "permits", "land", "architecture"}]


def hhmm(m: int) -> time:
    return time(m // 60, m % 60)


def on_grid(t: int, duration: int) -> int:
    """The first start of the service's slot grid (from opening, stepped by its duration) at or after t."""
    return OPEN + -(-(t - OPEN) // duration) * duration


def full_day(rng: random.Random) -> tuple[list[WindowAvailability], list[BookingInterval]]:
    windows = [WindowAvailability(i + 1, frozenset(s), ((hhmm(OPEN), hhmm(CLOSE)),)) for i, s in enumerate(WINDOWS)]
    clock = {w.window_id: OPEN for w in windows}
    bookings: list[BookingInterval] = []
    while len(bookings) < BOOKINGS:
        progress = False
        for w in windows:
            service = rng.choice(sorted(w.services))
            d = DURATIONS[service]
            start = on_grid(clock[w.window_id] + rng.choice((0,) * 9 + (10,)), d)
            if start + d <= CLOSE and len(bookings) < BOOKINGS:
                bookings.append(BookingInterval(len(bookings), service, hhmm(start), hhmm(start + d), w.window_id))
                clock[w.window_id] = start + d
                progress = True
        if not progress:
            raise SystemExit(f"the windows are full at {len(bookings)} bookings: shorten the durations")
    return windows, bookings


def main():
    rng = random.Random(SEED)
    windows, day = full_day(rng)
    rng.shuffle(day)  # stored order carries no hint
    services = sorted(DURATIONS)
    timings, cpu, methods, accepted = [], [], Counter(), 0
    for _ in range(CHECKS):
        service = rng.choice(services)
        d = DURATIONS[service]
        start = OPEN + rng.randrange((CLOSE - OPEN) // d) * d
        new = BookingInterval("new", service, hhmm(start), hhmm(start + d))
        t0, c0 = perf_counter(), process_time()
        verdict = admit(windows, day, new)
        timings.append((perf_counter() - t0) * 1000)
        cpu.append((process_time() - c0) * 1000)
        methods[verdict.method] += 1
        accepted += verdict.ok
    busy = sum(DURATIONS[b.service] for b in day) / (len(windows) * (CLOSE - OPEN))
    print(f"day: {len(day)} bookings on {len(windows)} windows, {busy:.0%} of window time booked; "
          f"{CHECKS} checks, {accepted} accepted")
    rows = []
    for name, sample in (("wall", timings), ("cpu", cpu)):
        cuts = quantiles(sample, n=100)
        rows.append([name, cuts[49], cuts[98], max(sample), "met" if cuts[98] <= TARGET_MS else "MISSED"])
    print_table(["clock", "p50 ms", "p99 ms", "max ms", f"p99 <= {TARGET_MS:.0f} ms"], rows)
    print("decided by: " + ", ".join(f"{k} {v}" for k, v in methods.most_common()))
    p99 = rows[0][2]
    result("admission check, 500 bookings in the day (wall p99)", f"<= {TARGET_MS:.0f} ms", f"{p99:.1f} ms",
           p99 <= TARGET_MS)


if __name__ == "__main__":
    main()
