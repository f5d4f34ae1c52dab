"""Every Flask extension, created once here and bound in create_app()."""
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


def core(statement, params=None):
    """Run a Core statement on the session's connection, in its transaction. Session.execute's ORM layer
    costs twice the statement itself; the hot paths (a ticket called, a token checked) use this. Unlike
    Session.execute it does not flush pending ORM changes first: the rows it reads must not depend on them."""
    return db.session.connection().execute(statement, params)
