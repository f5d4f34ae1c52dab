"""Configuration from environment variables; the embedded default needs none of them."""
import os
import secrets
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
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.BABEL_DEFAULT_LOCALE = "uk"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Kyiv"
        self.JSON_AS_ASCII = False
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")
        self.API_TOKEN_MAX_AGE = 12 * 3600
        for key, value in overrides.items():
            setattr(self, key, value)
