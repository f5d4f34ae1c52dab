"""Shared by the benchmarks: a fresh migrated and seeded database, and percentile tables."""
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(prefix: str = "bench") -> str:
    """A new SQLite database in a temp dir (or DATABASE_URL when given), migrated and seeded with the demo."""
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix=prefix)}/bench.sqlite3"
    env = {**os.environ, "DATABASE_URL": url}
    for args in (["db", "upgrade"], ["seed", "--demo"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    return url


@contextmanager
def bench_database(prefix: str):
    """A fresh migrated and seeded database for one run: SQLite in a temp dir (the embedded default), or,
    with DATABASE_URL=postgresql://…, a database of its own on that server, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        yield fresh_database(prefix)
        return
    import sqlalchemy as sa
    server = sa.engine.make_url(url.replace("postgres://", "postgresql://", 1))
    admin = sa.create_engine(server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    name = f"cnap_{prefix}_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    os.environ["BENCH_DATABASE_URL"] = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield fresh_database(prefix)
    finally:
        os.environ.pop("BENCH_DATABASE_URL", None)
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in headers]] + [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def mean(values):
    return statistics.fmean(values) if values else float("nan")


def result(figure: str, target: str, measured: str, ok: bool) -> None:
    """One machine-readable line per figure; `python -m bench` gathers them into the summary table."""
    print(f"RESULT|{figure}|{target}|{measured}|{'PASS' if ok else 'FAIL'}", flush=True)
