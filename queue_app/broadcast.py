"""One frame for every board: an emit written straight to each websocket, framed once.

Why: python-engineio hands every recipient the packet through a queue of its own and a writer
greenlet, which frames it again with wsproto (compressing it when the client asked for
permessage-deflate): ~50 µs a recipient, 100 ms of one core for 2 000 boards, most of it the
hand-over between greenlets. An emit sends the same bytes to all its recipients, so here it is framed
once (an uncompressed text frame, which RFC 7692 allows on a compressing connection) and written to
each websocket whose writer is idle, by the emitting greenlet: one send() system call a recipient.

Anything else takes python-socketio's ordinary path, so the order of a client's messages holds: a
client on long polling or in the middle of its upgrade, one whose writer has messages queued or is
writing (its lock is held), one whose kernel buffer is full. Used under gevent only (the production
server, see `install`); other async modes keep the ordinary path throughout.
"""
import struct

import gevent.lock
import socketio
from engineio import packet as eio_packet
from engineio.async_drivers import gevent as gevent_driver
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from socketio import packet as sio_packet


def text_frame(text: str) -> bytes:
    """A final, unmasked, uncompressed websocket text frame (RFC 6455, 5.2): what a server sends."""
    data = text.encode()
    size = len(data)
    if size < 126:
        head = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 127, size)
    return head + data


class DirectWebSocket(gevent_driver.WebSocketWSGI):
    """engine.io's gevent websocket (simple-websocket underneath) that lets an emit write a ready frame.

    Every write to the connection takes `lock`: the engine.io writer's through `send`, the direct one
    through `write_frame`, which never waits for it."""

    def __init__(self, handler, server, **kwargs):
        super().__init__(handler, server, **kwargs)
        self.lock = gevent.lock.Semaphore()
        # The handler is the engine.io socket's bound method: the socket learns which connection is its own.
        owner = getattr(handler, "__self__", None)
        if owner is not None:
            owner.direct = self

    def send(self, message):
        with self.lock:
            return super().send(message)

    def write_frame(self, frame: bytes) -> bool:
        """Write `frame` now if nothing else is being written and the kernel takes it; False: not sent."""
        ws = getattr(self, "ws", None)  # set once the websocket handshake is done
        if ws is None or not ws.connected or not self.lock.acquire(blocking=False):
            return False
        try:
            sent = ws.sock.send(frame, 0, 0.0)  # timeout 0: a full buffer raises instead of waiting
            if sent < len(frame):  # rare: the rest goes out before anything else, the lock still held
                ws.sock.sendall(frame[sent:])
            return True
        except OSError:  # a full buffer, or a broken connection that the ordinary path will close
            return False
        finally:
            self.lock.release()


def _write_direct(sock, frame: bytes) -> bool:
    direct = getattr(sock, "direct", None)
    if direct is None or not sock.upgraded or sock.upgrading or sock.closed or not sock.queue.empty():
        return False
    if not sock.check_ping_timeout():
        return True  # the client is gone and the socket now closing: engine.io drops the message too
    return direct.write_frame(frame)


class BroadcastManager(socketio.Manager):
    """python-socketio's in-process client manager, with the emit above once `install` has run."""

    direct = False

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        if not self.direct or callback is not None or namespace not in self.rooms:
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        if not isinstance(encoded, str):  # binary attachments: several frames, the ordinary path
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
        message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame = text_frame(message.encode())
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        sockets = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid not in skip and not _write_direct(sockets.get(eio_sid), frame):
                self.server._send_eio_packet(eio_sid, message)


def install(server: socketio.Server) -> bool:
    """Switch the direct emit on for a gevent server whose websockets are simple-websocket's."""
    eio = server.eio
    manager = server.manager
    if eio.async_mode != "gevent" or not isinstance(manager, BroadcastManager) \
            or not issubclass(gevent_driver.WebSocketWSGI, SimpleWebSocketWSGI):
        return False
    eio._async = {**eio._async, "websocket": DirectWebSocket}  # this server's only: the driver's table is shared
    manager.direct = True
    return True
