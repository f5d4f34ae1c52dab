"""Kiosk load: walk-in tickets per second and latency with 200 concurrent kiosk clients.

    .venv/bin/python -m bench.bench_kiosk [--clients 200] [--procs 8] [--seconds 15] [--profile]

Against the real server, as in production on the embedded default: gunicorn -k gevent -w 1 on a
fresh SQLite file that `flask db upgrade` and `flask seed --demo` made (with DATABASE_URL=postgresql://…
a database of its own on that server, and REDIS_URL passed on), its clock set by QUEUE_FAKE_NOW to a
Tuesday 10:00 (reception until 20:00 in the main office, 16:00 elsewhere).

The clients are kiosks: `--procs` processes with a thread pool each, every thread one keep-alive
http.client connection (200 connections in all), each bound to its own 127.0.x.y source address:
one kiosk, one IP, as on the hall's network (the ticket endpoint is rate-limited per IP, 120/min;
the second octet is random per run, since limits kept in Redis outlive a run).
Every kiosk issues walk-in tickets for random services of its own office, back to back.

Counted: 201s are tickets; 409s (a queue that no longer fits before closing) are answered requests
but not tickets, so they are reported apart. Afterwards the database is checked for duplicate
numbers (office, day, letter, seq) and for 201s without a row. The server worker's CPU time per
ticket is read from /proc.

--profile runs the server's worker under cProfile and prints where its time went.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import bench_database
from bench.server import Server

FAKE_NOW = "2026-11-24T10:00:00+02:00"
TARGET_RATE, TARGET_P99_MS = 300.0, 100.0

PROFILE_CONF = """
import cProfile, pstats, io

_prof = cProfile.Profile()

def post_worker_init(worker):
    _prof.enable()

def worker_exit(server, worker):
    _prof.disable()
    _prof.dump_stats({path!r})
"""


def offices_and_services(port: int) -> dict[str, list[str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v1/offices")
    offices = [o["code"] for o in json.loads(conn.getresponse().read())]
    table = {}
    for code in offices:
        conn.request("GET", f"/kiosk/{code}/status.json")
        status = json.loads(conn.getresponse().read())
        table[code] = [s["code"] for c in status["categories"] for s in c["services"] if s["available"]]
    conn.close()
    return {k: v for k, v in table.items() if v}


def kiosk(args) -> dict:
    """One kiosk: its own connection and source address. With an `interval`, a ticket every interval
    seconds (open loop: latency counts from when the ticket was due, so a slow server is not hidden
    by clients that wait for it); without, tickets back to back until the deadline."""
    index, port, office, services, start_at, stop_at, interval, octet = args
    rnd = random.Random(index)
    due = start_at + rnd.random() * interval
    source = f"127.{octet}.{1 + index // 250}.{1 + index % 250}"
    latencies, codes = [], {}
    conn = None
    while time.time() < start_at:
        time.sleep(0.005)
    while time.time() < stop_at:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
        body = json.dumps({"service": rnd.choice(services)})
        if interval:
            time.sleep(max(0.0, due - time.time()))
            t0, due = time.perf_counter() - max(0.0, time.time() - due), due + interval
        else:
            t0 = time.perf_counter()
        try:
            conn.request("POST", f"/api/v1/offices/{office}/tickets", body=body,
                         headers={"Content-Type": "application/json", "Connection": "keep-alive"})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            status = "error"
            conn.close()
            conn = None
        latencies.append((time.perf_counter() - t0) * 1000)
        codes[status] = codes.get(status, 0) + 1
    if conn is not None:
        conn.close()
    return {"latencies": latencies, "codes": codes}


def client_process(jobs: list, out: mp.Queue) -> None:
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(kiosk, jobs))
    out.put(results)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def check_database(url: str) -> tuple[int, int]:
    import sqlalchemy as sa
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        duplicates = conn.execute(sa.text(
            "SELECT COUNT(*) FROM (SELECT office_id, day, letter, seq FROM ticket "
            "GROUP BY office_id, day, letter, seq HAVING COUNT(*) > 1) AS d")).scalar_one()
        rows = conn.execute(sa.text("SELECT COUNT(*) FROM ticket")).scalar_one()
    engine.dispose()
    return duplicates, rows


def print_profile(path: Path) -> None:
    import pstats
    if not path.exists():
        print("(no profile written)")
        return
    stats = pstats.Stats(str(path))
    print("\nServer profile (cProfile of the gevent worker; tottime = time in the function itself)")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"queue_app|kiosk|scheduling|sqlalchemy/orm/session|flask_limiter|gunicorn|engineio|socketio|flask/app", 45)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--rate", type=float, default=TARGET_RATE,
                    help="tickets/s offered by all kiosks together (open loop); 0: back to back (closed loop)")
    ap.add_argument("--profile", action="store_true")
    opts = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as tmpdir, bench_database("kiosk") as url:
        tmp = Path(tmpdir)
        env = {**os.environ, "DATABASE_URL": url, "QUEUE_FAKE_NOW": FAKE_NOW, "PYTHONUNBUFFERED": "1"}
        args = ()
        if opts.profile:
            conf = tmp / "profile_conf.py"
            conf.write_text(PROFILE_CONF.format(path=str(tmp / "server.prof")))
            args = ("-c", str(conf))
        with Server(env, tmp / "server.log", args=args) as server:
            table = offices_and_services(server.port)
            offices = sorted(table)
            octet = random.SystemRandom().randrange(1, 255)
            start_at = time.time() + 2.0
            stop_at = start_at + opts.seconds
            interval = opts.clients / opts.rate if opts.rate else 0.0
            jobs = [(i, server.port, offices[i % len(offices)], table[offices[i % len(offices)]], start_at, stop_at,
                     interval, octet) for i in range(opts.clients)]
            out: mp.Queue = mp.Queue()
            procs = [mp.Process(target=client_process, args=(jobs[p::opts.procs], out)) for p in range(opts.procs)]
            cpu_before = server.usage()[0]
            for p in procs:
                p.start()
            results = [r for _ in procs for r in out.get()]
            for p in procs:
                p.join()
            cpu = server.usage()[0] - cpu_before

        latencies = [x for r in results for x in r["latencies"]]
        codes: dict = {}
        for r in results:
            for k, v in r["codes"].items():
                codes[k] = codes.get(k, 0) + v
        tickets = codes.get(201, 0)
        duplicates, rows = check_database(url)
        rate = tickets / opts.seconds
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        ok = rate >= TARGET_RATE and p99 <= TARGET_P99_MS and duplicates == 0
        print()
        print(f"load: {'open loop, ' + format(opts.rate, '.0f') + ' tickets/s offered' if opts.rate else 'closed loop'}")
        print(f"{'clients':>7} {'tickets':>8} {'seconds':>7} {'tickets/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'duplicates':>10}  target")
        print(f"{opts.clients:>7} {tickets:>8} {opts.seconds:>7.1f} {rate:>9.1f} {p50:>7.1f} {p99:>7.1f} "
              f"{duplicates:>10}  ≥{TARGET_RATE:.0f} tickets/s, p99 ≤ {TARGET_P99_MS:.0f} ms: "
              f"{'met' if ok else 'MISSED'}")
        print(f"\nresponses by status: {dict(sorted(codes.items(), key=str))}; requests/s "
              f"{len(latencies) / opts.seconds:.1f}; ticket rows in the database: {rows} "
              f"({'matches' if rows == tickets else 'DIFFERS from'} the 201s); mean {statistics.mean(latencies):.1f} ms, "
              f"max {max(latencies):.1f} ms; server worker CPU {cpu:.1f} s = {cpu * 1000 / max(1, len(latencies)):.2f} ms "
              f"a request; {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}"
              f"{' + Redis' if os.environ.get('REDIS_URL') else ''}")
        mode = f"offered {opts.rate:.0f}/s" if opts.rate else "back to back"
        print(f"RESULT|kiosk tickets, 200 clients, {mode} (rate; p50/p99)|>= 300/s, p99 <= 100 ms, no duplicate|"
              f"{rate:.0f}/s; {p50:.0f}/{p99:.0f} ms; {duplicates} dup|{'PASS' if ok else 'FAIL'}")
        if opts.profile:
            print_profile(tmp / "server.prof")


if __name__ == "__main__":
    main()
