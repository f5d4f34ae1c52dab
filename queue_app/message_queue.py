"""The Socket.IO message queue over Redis, and what a server process does while Redis is unreachable.

Redis only carries events between server processes. Without it a process still serves its own
clients: python-socketio's pub/sub manager delivers every emit locally before it publishes, so here
a failed publish is dropped (the other processes cannot be reached anyway) instead of being logged as
an error on every emit, and the loss and the recovery are logged once each. The listener reconnects
on its own, at most a few seconds apart. Rate limits fall back to memory meanwhile (Flask-Limiter's
in-memory fallback, see config.py).
"""
import logging
import time
from urllib.parse import urlsplit

import socketio
from redis.exceptions import RedisError

from .broadcast import BroadcastManager

log = logging.getLogger(__name__)

RETRY_MAX_S = 5.0  # the longest wait between two attempts to reach Redis again
CONNECT_TIMEOUT_S = 2.0  # a Redis host that does not answer must not hold an emit (and its request) for long


class FallbackRedisManager(socketio.RedisManager, BroadcastManager):
    """python-socketio's Redis manager that keeps quiet and carries on while Redis is away (and delivers
    locally through BroadcastManager's emit: the pub/sub manager's local delivery calls it)."""

    def __init__(self, url: str, channel: str = "flask-socketio"):
        super().__init__(url, channel=channel, redis_options={"socket_connect_timeout": CONNECT_TIMEOUT_S})
        parts = urlsplit(url)
        self.where = f"{parts.hostname}:{parts.port or 6379}"  # never the password the URL may carry
        self.alone = False  # Redis unreachable: this process serves its own clients only
        self.next_publish = 0.0  # while alone, publishing is not tried again before this moment

    def _lost(self, err: Exception) -> None:
        if not self.alone:
            self.alone = True
            log.warning("Redis at %s is unreachable (%s): this process carries on alone: its own boards and "
                        "screens get every event, other processes do not; rate limits are kept in memory",
                        self.where, type(err).__name__)
        self.next_publish = time.monotonic() + RETRY_MAX_S

    def _back(self) -> None:
        if self.alone:
            self.alone = False
            log.info("Redis at %s is reachable again: events reach every process", self.where)

    def _publish(self, data):
        if self.alone and time.monotonic() < self.next_publish:
            return
        try:
            if not self.connected:
                self._redis_connect()
            self.redis.publish(self.channel, self.json.dumps(data))
        except RedisError as err:  # the link failed: the local delivery has been done already
            self.connected = False
            self._lost(err)
            return
        self._back()

    def _redis_listen_with_retries(self):
        delay = 0.5
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                self._back()
                delay = 0.5
                yield from self.pubsub.listen()
            except RedisError as err:  # Redis went away (or is still away): try again shortly
                self._lost(err)
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)


def client_manager(redis_url: str | None) -> BroadcastManager:
    """The manager for Flask-SocketIO: Redis when configured, else one process in memory. A new one for
    every app: Flask-SocketIO keeps its options from one init_app to the next, so an earlier app's manager
    would otherwise live on (tests build many apps in one process)."""
    return FallbackRedisManager(redis_url) if redis_url else BroadcastManager()
