"""Every Flask extension, created once here and bound in create_app()."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# gevent under gunicorn (-k gevent -w 1); tests use the threading mode explicitly.
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


def spare_from_limits(app, endpoints: frozenset[str]) -> None:
    """Flask-Limiter looks for a limit on every request, a tenth of a millisecond even past a request
    filter; this skips its check for the endpoints given. Called right after limiter.init_app: start-up
    fails (not silently) if the check is not where Flask-Limiter puts it."""
    if not limiter.enabled:  # RATELIMIT_ENABLED off: init_app added no check
        return
    before = app.before_request_funcs[None]
    at = before.index(limiter._check_request_limit)
    check = before[at]

    def check_unless_spared() -> None:
        if request.endpoint not in endpoints:
            check()

    before[at] = check_unless_spared


def core(statement, params=None):
    """Run a Core statement on the session's connection, in its transaction. Session.execute's ORM layer
    costs twice the statement itself; the hot paths (a ticket called, a token checked) use this. Unlike
    Session.execute it does not flush pending ORM changes first: the rows it reads must not depend on them."""
    return db.session.connection().execute(statement, params)
