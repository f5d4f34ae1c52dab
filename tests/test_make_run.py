"""`make run` in a copy of the working tree: migrates, seeds, prints the admin password, serves /healthz within a minute."""
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_make_run_serves_healthz_within_a_minute(tmp_path):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    copy = tmp_path / "clone"
    for name in files:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "QUEUE_FAKE_NOW")}
    venv = Path(sys.executable).parent.parent  # the installed one: this test is about the steps, not pip
    started = time.monotonic()
    proc = subprocess.Popen(["make", "run", f"VENV={venv}", f"PORT={port}"], cwd=copy, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        healthy = False
        while time.monotonic() - started < 60 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    healthy = r.status == 200
                    break
            except OSError:
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert healthy, "not healthy within a minute:\n" + output[-3000:]
    assert "admin account created: username admin, password " in output
    assert (copy / "instance" / "queue.sqlite3").exists() and (copy / "instance" / "secret_key").exists()
    assert f"http://127.0.0.1:{port}/kiosk/main" in output
