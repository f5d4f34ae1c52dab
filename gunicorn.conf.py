"""gunicorn settings read from the working directory: `gunicorn -k gevent -w 1 wsgi:app`.

One gevent worker per process (Socket.IO keeps its clients in the process); each hall board,
window display and phone following a ticket holds a connection, so allow thousands.
"""
worker_class = "gevent"
workers = 1
worker_connections = 4096
# gunicorn's control socket lives at one path per user: several processes on one host (the
# deployment in README) would take it from each other, and nothing here uses it.
control_socket_disable = True


def post_worker_init(worker):
    """The worker's app is loaded: SQLite's checkpoints move off its event loop (queue_app/wal.py)."""
    from queue_app.wal import checkpoint_in_background
    checkpoint_in_background(worker.wsgi)
