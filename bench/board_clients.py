"""Board clients for bench_board: one process holds many Socket.IO clients on one asyncio loop.

`client_process(conn, url, office, count, kind)` is the target of a multiprocessing.Process. Each client
connects to the /board namespace with ?office=CODE over the websocket transport only, as a hall board
does; it counts as ready once its `state` has arrived, and from then on stamps `time.time()` the moment
each `called` event reaches it. Two kinds of client:
  "lean" (default): the Engine.IO 4 / Socket.IO 5 wire protocol spoken directly over an aiohttp
         websocket (open, `40/board,`, answer pings, `42/board,[event, data]`): a few tens of µs per
         event, so that 2 000 clients on a 2-core machine measure the server rather than themselves;
  "sio": python-socketio's AsyncClient, the reference client: several times the CPU per event.

The pipe protocol with the driver:
  process -> driver  ("ready", {"connected": n, "failed": n, "errors": [..]})
  driver  -> process ("collect", grace_seconds)  # after the last call; late events may still arrive
  process -> driver  ("arrivals", [ {ticket_id: arrival_time, ...} per ready client ])
  driver  -> process ("quit", None)
"""
import asyncio
import resource
import time


def raise_nofile() -> None:
    """Lift the soft open-files limit to the hard one: each websocket is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= target:
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Board:
    def __init__(self, url: str):
        import socketio
        self.url = url
        self.arrivals: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("state", self._on_state, namespace="/board")
        self.sio.on("called", self._on_called, namespace="/board")

    def _on_state(self, _data):
        self.ready.set()

    def _on_called(self, data):
        arrived = time.time()  # first thing: the arrival stamp
        self.arrivals[data["ticket_id"]] = arrived

    async def start(self, timeout: float) -> None:
        await asyncio.wait_for(self.sio.connect(self.url, namespaces=["/board"], transports=["websocket"],
                                                wait_timeout=timeout), timeout)
        await asyncio.wait_for(self.ready.wait(), timeout)

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.sio.disconnect(), 5)
        except Exception:  # noqa: BLE001 - tearing down, nothing to do about it
            pass


class LeanBoard:
    """A board speaking the wire protocol itself: EIO4 over a websocket, SIO5 packets in text frames."""

    PREFIX = "42/board,"

    def __init__(self, url: str, session):
        self.url = url.replace("http://", "ws://", 1).replace("?", "/socket.io/?EIO=4&transport=websocket&", 1)
        self.session = session
        self.arrivals: dict[int, float] = {}
        self.ws = None
        self.reader = None

    async def start(self, timeout: float) -> None:
        import json
        self.ws = await asyncio.wait_for(self.session.ws_connect(self.url, autoping=False, max_msg_size=0), timeout)
        opened = await asyncio.wait_for(self.ws.receive_str(), timeout)
        if not opened.startswith("0"):
            raise RuntimeError(f"no Engine.IO open: {opened[:80]}")
        await self.ws.send_str("40/board,")
        while True:  # the namespace's CONNECT answer, then `state`
            msg = await asyncio.wait_for(self.ws.receive_str(), timeout)
            if msg.startswith("44/board,"):
                raise RuntimeError(f"refused: {msg[:120]}")
            if msg == "2":
                await self.ws.send_str("3")
            elif msg.startswith(self.PREFIX) and json.loads(msg[len(self.PREFIX):])[0] == "state":
                break
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import json

        import aiohttp
        ws, prefix, n = self.ws, self.PREFIX, len(self.PREFIX)
        while True:
            msg = await ws.receive()
            arrived = time.time()  # first thing: the arrival stamp
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            data = msg.data
            if data == "2":
                await ws.send_str("3")
            elif data.startswith(prefix):
                event, *args = json.loads(data[n:])
                if event == "called":
                    self.arrivals[args[0]["ticket_id"]] = arrived

    async def stop(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:  # noqa: BLE001 - tearing down
                pass


async def _run(conn, url: str, office: str, count: int, kind: str, concurrency: int, timeout: float) -> None:
    import aiohttp
    full_url = f"{url}?office={office}"
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) if kind == "lean" else None
    boards = [LeanBoard(full_url, session) if kind == "lean" else Board(full_url) for _ in range(count)]
    gate = asyncio.Semaphore(concurrency)  # a hall of boards does not all connect in the same millisecond
    errors: list[str] = []

    async def start(board: Board) -> bool:
        async with gate:
            try:
                await board.start(timeout)
                return True
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
                return False

    ok = await asyncio.gather(*(start(b) for b in boards))
    ready = [b for b, good in zip(boards, ok) if good]
    loop = asyncio.get_running_loop()
    conn.send(("ready", {"connected": len(ready), "failed": count - len(ready), "errors": errors[:5]}))
    cmd, grace = await loop.run_in_executor(None, conn.recv)
    if cmd == "collect":
        await asyncio.sleep(grace)
        conn.send(("arrivals", [b.arrivals for b in ready]))
        await loop.run_in_executor(None, conn.recv)  # quit
    await asyncio.gather(*(b.stop() for b in boards))
    if session is not None:
        await session.close()


def client_process(conn, url: str, office: str, count: int, kind: str = "lean", concurrency: int = 25,
                   timeout: float = 30.0) -> None:
    raise_nofile()
    try:
        asyncio.run(_run(conn, url, office, count, kind, concurrency, timeout))
    except Exception as exc:  # noqa: BLE001 - the driver must hear about it rather than wait forever
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except Exception:  # noqa: BLE001
            pass
    finally:
        conn.close()
