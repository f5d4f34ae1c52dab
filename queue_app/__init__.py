"""The Flask application of the ЦНАП «Віза» queue: create_app() wires everything together."""
import logging

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import broadcast
from .config import INSTANCE, Config
from .extensions import babel, csrf, db, limiter, login_manager, migrate, socketio, spare_from_limits
from .message_queue import client_manager

LOCALES = ("uk", "en")
# Every script and style is a file under /static (data for scripts sits in <script type="application/json">),
# so nothing inline may run: an injected <script> or on…= attribute stays inert. 'self' covers Socket.IO's
# ws(s):// to the same host (CSP 3). The kiosk prints through a same-origin frame.
CONTENT_SECURITY_POLICY = ("default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'self'")


def _select_locale() -> str:
    """?lang= wins, then the cookie set by the language switch, then the browser; Ukrainian first."""
    lang = request.args.get("lang") or request.cookies.get("lang")
    if lang in LOCALES:
        return lang
    return request.accept_languages.best_match(LOCALES, default="uk")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, not unpacked for a request that brings no cookie (the API's, the
    boards'): Flask builds the cookie's signer first, 60 µs of an operator's call before the boards hear
    of it. The session is signed as ever when a response sets one."""

    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run beside the writer (writers queue for SQLITE_BUSY_TIMEOUT, see create_app).
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def create_app(config: Config | dict | None = None) -> Flask:
    if isinstance(config, dict):
        config = Config(**config)
    app = Flask(__name__, instance_path=str(INSTANCE),
                template_folder="../templates", static_folder="../static")
    app.config.from_object(config or Config())
    app.json.ensure_ascii = False
    app.session_interface = CookieSessions()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # sqlite3's busy timeout: how long a write waits for the write lock before it fails (a request: 503).
        # No pre-ping: a file does not restart as a database server does, and the ping is a statement more
        # on every request.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False,
                                                   "connect_args": {"timeout": app.config["SQLITE_BUSY_TIMEOUT"]}}
    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE.parent / "migrations"))
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(INSTANCE.parent / "translations"))
    app.jinja_env.globals["get_locale"] = get_locale
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    from .api.tickets import WITHOUT_LIMITS
    spare_from_limits(app, WITHOUT_LIMITS)
    # Before init_app, so the handlers go with every server it makes: imported after it, they went to the
    # first app's server only, and a second app in the process (tests, benchmarks) had none.
    from . import realtime  # noqa: F401
    socketio.init_app(app, async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "gevent"),
                      client_manager=client_manager(app.config["REDIS_URL"]),  # always given: see message_queue.py
                      cors_allowed_origins=None)  # the same host only; [] would switch the Origin check off
    broadcast.install(socketio.server)
    if app.config["TRUSTED_PROXIES"]:
        # Outermost, so Socket.IO sees it too. Only as many X-Forwarded-* hops as there are proxies are
        # believed: the rate limits key on the real client, who cannot forge an address of their own.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from . import errors, models  # noqa: F401  (tables register on import)
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .booking_pages import bp as booking_bp
    from .cli import register_cli
    from .operator import bp as operator_bp
    from .staff_auth import bp as auth_bp
    from .views import bp as views_bp

    errors.register(app)
    for blueprint in (views_bp, api_bp, auth_bp, operator_bp, booking_bp, admin_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    from display import bp as display_bp, ticket_bp  # hall board, window display, /t/<id>
    app.register_blueprint(display_bp)
    app.register_blueprint(ticket_bp)
    from kiosk import bp as kiosk_bp  # the touch kiosk /kiosk/<office>
    app.register_blueprint(kiosk_bp)
    register_cli(app)

    @app.after_request
    def _security_headers(response):
        # setdefault: a page may ask for stricter (the booking manage pages send no-referrer).
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")  # the kiosk prints via a same-origin frame
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["PUBLIC_URL"].startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @login_manager.user_loader
    def _load_staff(user_id: str):
        return db.session.get(models.Staff, int(user_id))

    return app
