"""Configuration from environment variables; the embedded default needs none of them."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ and kept."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'queue.sqlite3'}"
    # Heroku-style URLs name the old driver; we use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    def __init__(self, **overrides):
        INSTANCE.mkdir(exist_ok=True)
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        # hide_parameters: SQL errors would otherwise quote the statement's values (names, phones)
        # into messages that reach the log. pre_ping: a restarted PostgreSQL is reconnected, not an error.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}
        self.SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "10"))  # seconds
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.BABEL_DEFAULT_LOCALE = "uk"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Kyiv"
        self.JSON_AS_ASCII = False
        # Lax: a link from an SMS or another site still arrives signed in, a cross-site POST does not.
        self.SESSION_COOKIE_HTTPONLY = self.REMEMBER_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = self.REMEMBER_COOKIE_SAMESITE = "Lax"
        if os.environ.get("SESSION_COOKIE_SECURE"):
            self.SESSION_COOKIE_SECURE = os.environ["SESSION_COOKIE_SECURE"] == "1"
        # Flask checks this age on every session, permanent or not: a stolen cookie dies after a working day.
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=14)
        # How many proxies (nginx) stand in front and set X-Forwarded-For/-Proto; 0 trusts no such header.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or 0)
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis unreachable: count in this process's memory (the same limits) rather than fail requests, and
        # a Redis host that does not answer at all holds a request 2 s at most (see message_queue.py).
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2} if self.REDIS_URL else {}
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")
        self.API_TOKEN_MAX_AGE = 12 * 3600
        # No form or JSON body of this app comes near 1 MiB; a bigger one is refused (413) before it is read.
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        for key, value in overrides.items():
            setattr(self, key, value)
        # Unless set explicitly, cookies are Secure exactly when the public address is HTTPS (after the
        # overrides, so a PUBLIC_URL given to create_app counts too).
        if not hasattr(self, "SESSION_COOKIE_SECURE"):
            self.SESSION_COOKIE_SECURE = self.PUBLIC_URL.startswith("https://")
        if not hasattr(self, "REMEMBER_COOKIE_SECURE"):
            self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
