"""Plumbing of the load benchmarks: the server process as in production, and HTTP clients with loopback
addresses of their own."""
import http.client
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT


class LoopbackAddresses:
    """127.R.x.y, R random per run: the server's rate limits count per address, and in Redis they
    outlive a run."""

    def __init__(self):
        self.octet, self.n = random.SystemRandom().randrange(1, 255), 0

    def next(self) -> str:
        self.n += 1
        return f"127.{self.octet}.{self.n // 250}.{1 + self.n % 250}"


class Http:
    """One keep-alive connection bound to `source`; JSON both ways; a bearer `token` if given."""

    def __init__(self, port: int, source: str, token: str | None = None):
        self.port, self.source, self.token, self.conn = port, source, token, None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):  # a keep-alive connection the server has closed is opened again once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                                       source_address=(self.source, 0))
            try:
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        return resp.status, json.loads(raw) if raw and resp.getheader("Content-Type", "").startswith(
            "application/json") else None

    def get(self, path: str):
        status, body = self.call("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`gunicorn -k gevent -w 1 APP` (gunicorn.conf.py: 4096 connections) on a free port, as in
    production, its log in a file; `usage()` reads its worker's CPU time and peak RSS from /proc."""

    def __init__(self, env: dict, log: Path, app: str = "wsgi:app", args: tuple = (), preexec_fn=None):
        self.env, self.log_path, self.app, self.args, self.preexec_fn = env, log, app, args, preexec_fn
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "2", *self.args, self.app],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if Http(self.port, "127.0.0.1").call("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")

    def __exit__(self, *_exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def worker_pid(self) -> int:
        """The master's child: the one process that serves."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    return int(entry.name)
        raise RuntimeError("no gunicorn worker")

    def usage(self) -> tuple[float, float]:
        """(CPU seconds, user + system, since the worker started; peak resident set in MB)."""
        pid = self.worker_pid()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        status = Path(f"/proc/{pid}/status").read_text()
        peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        return cpu, peak_kb / 1024
