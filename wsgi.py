"""Entry point: `gunicorn -k gevent -w 1 wsgi:app` in production, `flask --app wsgi ...` for commands."""
from gevent import monkey

monkey.patch_all()  # before anything imports socket/threading: gevent is the server's async mode

from queue_app import create_app  # noqa: E402
from queue_app.extensions import socketio  # noqa: E402,F401

app = create_app()
