"""Entry point: `gunicorn -k gevent -w 1 wsgi:app` in production, `flask --app wsgi ...` for commands."""
import gc

from gevent import monkey

monkey.patch_all()  # before anything imports socket/threading: gevent is the server's async mode

from queue_app import create_app  # noqa: E402
from queue_app.extensions import socketio  # noqa: E402,F401

app = create_app()

# Everything loaded so far lives as long as the process: keep it out of the collector's sweeps, and
# collect less often, so a full collection does not stall a broadcast to thousands of boards.
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)
