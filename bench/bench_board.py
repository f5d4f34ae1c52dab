"""Board latency (issue 4): from the operator's call request to `called` at every connected board.

Run: .venv/bin/python -m bench.bench_board   (from the repository root; about 9 minutes)
     options: --sizes 10,200,2000 --calls 300 --interval 0.3 --procs 4 --client lean|sio
              --worker-connections 4096 --only app|floor --no-pin

What it does
  * a fresh SQLite database in a temp dir (with DATABASE_URL=postgresql://… one of its own on that
    server, and REDIS_URL passed to the app), migrated, seeded with the demo, plus an operator
    `bench-op` of the main office;
  * the app served as in production, `gunicorn -k gevent -w 1 wsgi:app`, on a free loopback port with
    QUEUE_FAKE_NOW in reception hours and the open-files limit raised; with two CPUs or more the
    servers run on the first CPU, the driver and the board processes on the others (split_cpus;
    --no-pin shares them all, as the runs before 2026-12-07 did);
  * for each size, each server gets board clients of its own (bench/board_clients.py: lean wire-protocol
    clients by default, --client sio for python-socketio's AsyncClient; websocket only) spread over
    --procs processes, connected to /board?office=main and waiting for `state`. Each server has 2
    warm-up calls (the app's first: the floor then sends the very payload the app's boards got), then
    --calls measured calls, the two servers taking turns: the app's `POST /api/v1/windows/{id}/call-next`
    (round robin over the windows serving pickup), half an --interval later the floor's `POST /call`,
    so each server is called every --interval seconds and a burst of the machine's own noise (seen
    here: a few seconds in which every call is two to three times slower) meets both alike. (Before
    2026-12-08 the app's calls ran first and the floor's after them, and a burst in one of the two runs
    decided the ratio.) time.time() is stamped just before each request. The app's tickets are issued
    REFILL at a time, before the calls and then after every REFILL calls, with a pause after each
    refill: the queue stays about as long as a busy office's, under the kiosk's rate limit and the
    day's capacity. 300 calls: at 10 boards p99 is the 30th slowest of 3 000 arrivals, about the three
    slowest calls (with 100 calls it was the slowest call alone, and swung 1.1x-1.9x).
    Each client stamps time.time() when `called` arrives; the stamps come back over a pipe. One sample
    per (call, client): arrival - request start. A client that never got a call counts as missing;
  * the floor is bench/floor_server.py: Flask-SocketIO that only broadcasts the payload it is sent on
    `POST /call`, served by the same gunicorn command.

gunicorn's gevent worker serves at most --worker-connections connections at once (default 1000) and
every board holds one, so the benchmark passes --worker-connections to both servers (default 4096;
0 keeps gunicorn's default, and then 2 000 boards cannot all connect).
"""
import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.board_clients import client_process, raise_nofile
from bench.common import ROOT, bench_database, percentile, print_table, result
from bench.server import Server

FAKE_NOW = "2026-11-24T11:00:00+02:00"
OFFICE = "main"
USER, PASSWORD = "bench-op", "bench-pass-1"
WARMUP = 2
REFILL = 100  # tickets issued at a time (see the docstring)
GRACE_S = 3.0  # after the last call, for late events
TARGET_P99_MS = 150.0
TARGET_RATIO = 1.5


class AppCaller:
    """The operator: a bearer token, the pickup windows, tickets issued ahead, then call-next."""

    def __init__(self, url: str):
        import requests
        self.url, self.http = url, requests.Session()
        r = self.http.post(f"{url}/api/v1/auth/token", json={"username": USER, "password": PASSWORD}, timeout=10)
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        r = self.http.get(f"{url}/api/v1/offices/{OFFICE}/windows", timeout=10)
        r.raise_for_status()
        rows = r.json()
        rows = rows.get("windows", rows) if isinstance(rows, dict) else rows
        self.windows = [w["id"] for w in rows if "pickup" in _service_codes(w)]
        if not self.windows:
            raise RuntimeError(f"no window serves pickup: {rows}")
        self.turn = 0

    def issue(self, count: int) -> None:
        made = 0
        while made < count:
            r = self.http.post(f"{self.url}/api/v1/offices/{OFFICE}/tickets", json={"service": "pickup"}, timeout=10)
            if r.status_code == 429:  # the kiosk's rate limit: wait it out
                time.sleep(float(r.headers.get("Retry-After", "5")))
                continue
            if r.status_code != 201:
                raise RuntimeError(f"issuing a ticket: {r.status_code} {r.text[:300]}")
            made += 1

    def call(self) -> int:
        window = self.windows[self.turn % len(self.windows)]
        self.turn += 1
        r = self.http.post(f"{self.url}/api/v1/windows/{window}/call-next", timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"call-next: {r.status_code} {r.text[:300]}")
        return r.json()["ticket"]["id"]

    def last_call(self) -> dict:
        """The newest call as the boards got it (the board state's calls are the `called` payloads)."""
        r = self.http.get(f"{self.url}/api/v1/offices/{OFFICE}/board", timeout=10)
        r.raise_for_status()
        return r.json()["calls"][0]


def _service_codes(window: dict) -> set:
    return {s if isinstance(s, str) else s.get("code") for s in window.get("services", [])}


class FloorCaller:
    def __init__(self, url: str):
        import requests
        self.url, self.http = url, requests.Session()
        self.payload: dict | None = None  # the app's, once it has called (floor_server.DEFAULT until then)

    def issue(self, count: int) -> None:
        pass

    def call(self) -> int:
        r = self.http.post(f"{self.url}/call?office={OFFICE}", json=self.payload, timeout=30)
        r.raise_for_status()
        return r.json()["ticket_id"]


class Fleet:
    """The board clients of one server, spread over `procs` processes (bench/board_clients.py)."""

    def __init__(self, url: str, clients: int, procs: int, client_kind: str):
        ctx = mp.get_context("spawn")
        procs = max(1, min(procs, clients))
        counts = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        self.pipes, self.workers = [], []
        self.started = time.monotonic()
        for n in counts:
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=client_process, args=(theirs, url, OFFICE, n, client_kind), daemon=True)
            p.start()
            theirs.close()
            self.pipes.append(mine)
            self.workers.append(p)

    def ready(self) -> dict:
        connected, failed, errors = 0, 0, []
        for conn in self.pipes:
            if not conn.poll(180):
                raise RuntimeError("client process never got ready")
            kind, info = conn.recv()
            if kind != "ready":
                raise RuntimeError(f"client process: {info}")
            connected += info["connected"]
            failed += info["failed"]
            errors += info["errors"]
        return {"connected": connected, "failed": failed, "errors": errors,
                "connect_s": time.monotonic() - self.started}

    def arrivals(self) -> list[dict]:
        got_all: list[dict] = []
        for conn in self.pipes:
            conn.send(("collect", GRACE_S))
        for conn in self.pipes:
            if not conn.poll(60):
                raise RuntimeError("client process did not report arrivals")
            kind, got = conn.recv()
            if kind != "arrivals":
                raise RuntimeError(f"client process: {got}")
            got_all += got
        return got_all

    def close(self) -> None:
        for conn in self.pipes:
            try:
                conn.send(("quit", None))
            except OSError:
                pass
        for p in self.workers:
            p.join(30)
            if p.is_alive():
                p.terminate()
                p.join()


def run_size(callers: dict, clients: int, calls: int, interval: float, procs: int, client_kind: str) -> dict:
    """Every server in `callers` (app, floor) at once: each its own boards, and the calls taking turns,
    app then floor, each server called every `interval`. So a burst of the machine's own noise (seen
    here: a few seconds in which every call is two to three times slower) meets both alike."""
    for caller in callers.values():
        caller.issue(min(WARMUP + calls, WARMUP + REFILL))
    fleets = {}
    try:
        for kind, caller in callers.items():
            fleets[kind] = Fleet(caller.url, clients, procs, client_kind)
        info = {kind: fleet.ready() for kind, fleet in fleets.items()}
        for kind, i in info.items():
            if i["failed"]:
                print(f"  {kind}: {i['failed']} of {clients} clients failed to connect, e.g. {i['errors'][:3]}",
                      flush=True)
        for kind, caller in callers.items():  # the app first: the floor then sends what its boards got
            for _ in range(WARMUP):
                caller.call()
                time.sleep(interval)
            if kind == "app" and "floor" in callers:
                callers["floor"].payload = caller.last_call()
        requests_at = {kind: [] for kind in callers}
        http_ms = {kind: [] for kind in callers}
        turn = interval / len(callers)
        for j in range(calls):
            if j and j % REFILL == 0:
                for caller in callers.values():
                    caller.issue(min(REFILL, calls - j))
                time.sleep(1.0)  # the issuing is not what is measured: let it settle
            for kind, caller in callers.items():
                t0 = time.time()
                ticket_id = caller.call()
                took = time.time() - t0
                requests_at[kind].append((ticket_id, t0))
                http_ms[kind].append(took * 1000)
                time.sleep(max(0.0, turn - took))
        arrivals = {kind: fleet.arrivals() for kind, fleet in fleets.items()}
    finally:
        for fleet in fleets.values():
            fleet.close()
    return {kind: _samples(requests_at[kind], arrivals[kind], info[kind], http_ms[kind], clients)
            for kind in callers}


def _samples(requests_at: list, arrivals: list[dict], info: dict, http_ms: list, clients: int) -> dict:
    samples, missing, missing_by_call, last_by_call = [], 0, {}, []
    for ticket_id, t0 in requests_at:
        last = None
        for got in arrivals:
            if ticket_id in got:
                samples.append((got[ticket_id] - t0) * 1000)
                last = max(last or 0.0, samples[-1])
            else:
                missing += 1
                missing_by_call[ticket_id] = missing_by_call.get(ticket_id, 0) + 1
        if last is not None:
            last_by_call.append(last)
    missing += info["failed"] * len(requests_at)  # a board that never connected missed every call
    return {"clients": clients, "connected": info["connected"], "calls": len(requests_at), "samples": samples,
            "missing": missing, "missing_by_call": missing_by_call, "http_ms": http_ms,
            "connect_s": info["connect_s"], "last_by_call": last_by_call}


def split_cpus(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """The CPUs of the server under test and of the load (driver and boards): with --pin and two CPUs or
    more, the server has the first to itself. The boards of a hall are devices of their own; on one
    machine, unpinned, their processes and the driver take turns on the server's CPU, and the figure
    then measures that contention as much as the server."""
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or len(cpus) < 2:
        return None, None
    return {cpus[0]}, set(cpus[1:])


def _server_setup(cpus: set[int] | None):
    def setup() -> None:  # runs in the server's process, before gunicorn starts
        raise_nofile()
        if cpus:
            os.sched_setaffinity(0, cpus)
    return setup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,200,2000")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--interval", type=float, default=0.3)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--client", choices=["lean", "sio"], default="lean")
    ap.add_argument("--worker-connections", type=int, default=4096)
    ap.add_argument("--only", choices=["app", "floor"], default=None)
    ap.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                    help="the server on a CPU of its own, driver and boards on the others (default on)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    raise_nofile()
    server_cpus, load_cpus = split_cpus(args.pin)
    if load_cpus:
        os.sched_setaffinity(0, load_cpus)  # the board processes inherit it
    started = time.monotonic()
    print(f"load average at start {os.getloadavg()[0]:.2f} (other work on this machine skews the figures)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-board-"))
    results: dict[tuple[str, int], dict] = {}
    servers: dict[str, Server] = {}
    callers: dict = {}
    extra = ("--worker-connections", str(args.worker_connections)) if args.worker_connections else ()
    floor_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the floor: one process, no queue
    with ExitStack() as stack:
        if args.only in (None, "app"):
            url = stack.enter_context(bench_database("board"))
            env = {**os.environ, "DATABASE_URL": url, "QUEUE_FAKE_NOW": FAKE_NOW}
            subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "user", "create", USER, "--password",
                            PASSWORD, "--role", "operator", "--office", OFFICE], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            servers["app"] = stack.enter_context(Server(env, tmp / "app.log", args=extra, preexec_fn=_server_setup(server_cpus)))
            callers["app"] = AppCaller(servers["app"].url)
            print(f"app server {servers['app'].url} (pid {servers['app'].proc.pid}), database {url}"
                  f"{', Redis ' + os.environ['REDIS_URL'] if os.environ.get('REDIS_URL') else ''}", flush=True)
        if args.only in (None, "floor"):
            servers["floor"] = stack.enter_context(Server(floor_env, tmp / "floor.log", app="bench.floor_server:app",
                                                          args=extra, preexec_fn=_server_setup(server_cpus)))
            callers["floor"] = FloorCaller(servers["floor"].url)
            print(f"floor server {servers['floor'].url} (pid {servers['floor'].proc.pid})", flush=True)
        print(f"server logs in {tmp}", flush=True)
        for n in sizes:
            for kind, r in run_size(callers, n, args.calls, args.interval, args.procs, args.client).items():
                results[(kind, n)] = r
                _progress(kind, r)
    if "floor" in callers:
        print(f"floor payload: {callers['floor'].payload or 'its default'}")
    _report(results, sizes)
    print(f"run took {time.monotonic() - started:.0f} s, load average at end {os.getloadavg()[0]:.2f}; "
          f"{args.procs} client processes ({args.client} clients), {WARMUP} warm-up calls per size not counted, "
          f"gunicorn --worker-connections {args.worker_connections or 'default'}; "
          + (f"server on CPU {sorted(server_cpus)}, driver and boards on {sorted(load_cpus)}" if server_cpus
             else "server, driver and boards sharing every CPU"))


def _progress(kind: str, r: dict) -> None:
    http = r["http_ms"]
    print(f"  {kind:5} {r['clients']:5} clients: connected {r['connected']} in {r['connect_s']:.1f} s; "
          f"call request p50 {percentile(http, 50):.1f} ms, max {max(http):.1f} ms; "
          f"{len(r['samples'])} samples, {r['missing']} missing", flush=True)
    if r["last_by_call"]:
        last = sorted(r["last_by_call"])
        print(f"        last board reached per call: median {percentile(last, 50):.1f} ms, "
              f"slowest calls {', '.join(f'{v:.0f}' for v in last[-3:])} ms", flush=True)
    if r["missing_by_call"]:
        print(f"    missing per call (ticket_id: boards): {r['missing_by_call']}", flush=True)


def _report(results: dict, sizes: list[int]) -> None:
    rows = []
    for kind in ("app", "floor"):
        for n in sizes:
            r = results.get((kind, n))
            if r is None:
                continue
            s = r["samples"] or [float("nan")]
            target = "floor" if kind == "floor" else (
                f"p99<={TARGET_P99_MS:.0f} & <={TARGET_RATIO}x floor" if n == 2000 else f"<={TARGET_RATIO}x floor")
            clients = str(n) if r["connected"] == n else f"{r['connected']}/{n}"
            rows.append([kind, clients, r["calls"], len(r["samples"]), r["missing"], percentile(s, 50),
                         percentile(s, 99), max(s), target])
    print()
    print_table(["server", "clients", "calls", "samples", "missing", "p50 ms", "p99 ms", "max ms", "target"], rows)
    print()
    verdict = []
    for n in sizes:
        app, floor = results.get(("app", n)), results.get(("floor", n))
        if not app or not app["samples"]:
            continue
        p99 = percentile(app["samples"], 99)
        checks = []
        if floor and floor["samples"]:
            f99 = percentile(floor["samples"], 99)
            ratio = p99 / f99
            checks.append(f"p99 ratio app/floor {ratio:.2f}x ({'PASS' if ratio <= TARGET_RATIO else 'FAIL'} "
                          f"<= {TARGET_RATIO}x)")
            checks.append(f"p50 ratio {percentile(app['samples'], 50) / percentile(floor['samples'], 50):.2f}x")
        if n == 2000:
            checks.append(f"p99 {p99:.1f} ms ({'PASS' if p99 <= TARGET_P99_MS else 'FAIL'} <= {TARGET_P99_MS:.0f} ms)")
        if app["missing"]:
            checks.append(f"FAIL: {app['missing']} missing")
        verdict.append(f"{n:5} clients: " + "; ".join(checks))
        if floor and floor["samples"]:
            ok = ratio <= TARGET_RATIO and not app["missing"] and (n != 2000 or p99 <= TARGET_P99_MS)
            target = f"p99 <= {TARGET_RATIO}x floor" + (f" and <= {TARGET_P99_MS:.0f} ms" if n == 2000 else "")
            result(f"board call latency, {n} boards (app p99 / floor p99)", target,
                   f"{p99:.0f} / {f99:.0f} ms ({ratio:.2f}x)", ok)
    print("\n".join(verdict))


if __name__ == "__main__":
    main()
