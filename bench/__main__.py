"""`make bench`: every benchmark, each in a process of its own, then one summary table.

Each script prints its own detailed table and `RESULT|figure|target|measured|PASS` lines, gathered
here. With DATABASE_URL/REDIS_URL set the scripts that use them run on PostgreSQL and Redis.
"""
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, print_table

SCRIPTS = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))


def main() -> int:
    rows = []
    for name in (sys.argv[1:] or SCRIPTS):
        print(f"\n=== {name} ===", flush=True)
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT|"):
                rows.append(line.split("|")[1:])
            else:
                print(line)
        if proc.returncode != 0:
            print(proc.stderr[-3000:])
            rows.append([name, "-", f"crashed (exit {proc.returncode})", "FAIL"])
        print(f"({name}: {time.monotonic() - t0:.0f} s)")
    print("\n=== summary ===")
    print_table(["figure", "target", "measured", "result"], rows)
    return 0 if all(r[-1] == "PASS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
