"""Fixtures: every test gets its own database, copied from a template that was migrated and seeded once.

The engine follows DATABASE_URL: unset, SQLite files (the embedded default); a postgresql:// URL, a
fresh PostgreSQL database per test made with CREATE DATABASE … TEMPLATE.
"""
import itertools
import os
import re
import shutil

import pytest
import sqlalchemy as sa

from queue_app import create_app
from queue_app.config import _database_url

ENGINE_URL = _database_url() if os.environ.get("DATABASE_URL") else None
_counter = itertools.count()


def make_app(url: str, **overrides):
    settings = dict(SQLALCHEMY_DATABASE_URI=url, TESTING=True, SOCKETIO_ASYNC_MODE="threading",
                    WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, REDIS_URL=None,
                    RATELIMIT_STORAGE_URI="memory://")
    settings.update(overrides)
    return create_app(settings)


def _build(url: str) -> None:
    """Migrate from zero and load the reference data with the demo windows."""
    from flask_migrate import upgrade

    from queue_app.extensions import db
    from queue_app.seeding import seed
    app = make_app(url)
    with app.app_context():
        upgrade()
        seed(demo=True)
        db.engine.dispose()


class _Postgres:
    def __init__(self, url: str):
        self.url = sa.engine.make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.template = f"cnap_tpl_{os.getpid()}"
        self._exec(f"DROP DATABASE IF EXISTS {self.template}")
        self._exec(f"CREATE DATABASE {self.template}")
        _build(self.url.set(database=self.template).render_as_string(hide_password=False))

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(sql))

    def fresh(self) -> tuple[str, str]:
        name = f"cnap_t_{os.getpid()}_{next(_counter)}"
        self._exec(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return self.url.set(database=name).render_as_string(hide_password=False), name

    def drop(self, name: str) -> None:
        """FORCE ends our own leftover sessions (a server subprocess); it may not end an autovacuum
        worker of the superuser, which a plain DROP cancels by itself: try both, a few times."""
        import time
        for attempt in range(20):
            for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"DROP DATABASE IF EXISTS {name}"):
                try:
                    self._exec(sql)
                    return
                except sa.exc.DBAPIError:
                    pass
            time.sleep(0.1 * (attempt + 1))
        import warnings
        warnings.warn(f"could not drop test database {name}")

    def close(self) -> None:
        self._exec(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
        self.admin.dispose()


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    if ENGINE_URL and ENGINE_URL.startswith("postgresql"):
        pg = _Postgres(ENGINE_URL)
        yield pg
        pg.close()
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _build(f"sqlite:///{path}")
    yield path


@pytest.fixture
def database_url(db_template, tmp_path):
    """A database of this test's own, already migrated and seeded."""
    if isinstance(db_template, _Postgres):
        url, name = db_template.fresh()
        yield url
        db_template.drop(name)
        return
    path = tmp_path / "test.sqlite3"
    shutil.copy(db_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        yield app
        from queue_app.extensions import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_request_state(request):
    """The `app` fixture keeps one app context (one `g`) for a whole test, where a real server has a fresh
    one per request: forget the language and the signed-in user Flask-Babel and Flask-Login cache in it."""
    if "app" not in request.fixturenames:
        return
    from flask import g
    app = request.getfixturevalue("app")

    @app.before_request
    def _forget():
        g.pop("_flask_babel", None)
        g.pop("_login_user", None)


# Browser tests drive Debian's chromium; no browser is ever downloaded.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_name():
    return "chromium"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "uk-UA"}  # as the centre's screens are set up


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def full_scans(app):
    """The statements run while the block runs whose SQLite plan reads the whole ticket, booking or outbox
    table (all grow with every day kept), with the plan's step."""
    from queue_app.extensions import db
    found = []

    def plan(conn, _cursor, statement, params, _context, executemany):
        if executemany or not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            return
        steps = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
        found.extend((step[3], statement) for step in steps if re.match(r"SCAN (ticket|booking|outbox)\b", step[3]))

    sa.event.listen(db.engine, "after_cursor_execute", plan)
    yield found
    sa.event.remove(db.engine, "after_cursor_execute", plan)


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real server process: gunicorn with the gevent worker, as in production."""

    def __init__(self, database_url: str, **env: str):
        import subprocess
        import sys
        from pathlib import Path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "DATABASE_URL": database_url, **env}
        environ.pop("REDIS_URL", None) if "REDIS_URL" not in env else None
        root = Path(__file__).resolve().parents[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "2", "wsgi:app"],
            cwd=root, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait()

    def _wait(self, timeout: float = 30.0) -> None:
        import time
        import urllib.request
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stderr.read().decode()[-2000:])
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


@pytest.fixture
def live_server(database_url):
    server = LiveServer(database_url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when given (CI), else a throw-away redis-server from Debian's package if installed."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import subprocess
    import time
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis: set REDIS_URL or install redis-server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
