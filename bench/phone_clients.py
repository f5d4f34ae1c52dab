"""Citizens' phones following their tickets, for bench/day.py: many on one asyncio loop per process.

`client_process(conn, url)` is the target of a multiprocessing.Process. Like the ticket page, a phone
connects to the /ticket namespace with ?ticket=ID (websocket only, the wire protocol spoken directly as
bench/board_clients.py's lean boards do) and records the status of every `ticket` message not older (by
its `rev`) than the one before; it hangs up
once the ticket is done, a no-show or cancelled.

The pipe protocol with the driver:
  driver  -> process ("follow", ticket_id)      # any number, at any time
  driver  -> process ("collect", grace_seconds)  # after the day; late messages may still arrive
  process -> driver  ("seen", {ticket_id: [status, ...]}, [error, ...])
"""
import asyncio
import json

from bench.board_clients import raise_nofile

FINAL = ("done", "no_show", "cancelled")
PREFIX = "42/ticket,"


async def _follow(session, url: str, ticket_id: int, seen: list[str], errors: list[str]) -> None:
    import aiohttp
    ws_url = url.replace("http://", "ws://", 1) + f"/socket.io/?EIO=4&transport=websocket&ticket={ticket_id}"
    try:
        async with session.ws_connect(ws_url, autoping=False, max_msg_size=0) as ws:
            if not (await asyncio.wait_for(ws.receive_str(), 30)).startswith("0"):
                raise RuntimeError("no Engine.IO open")
            await ws.send_str("40/ticket,")
            rev = 0
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                if msg.data == "2":
                    await ws.send_str("3")
                elif msg.data.startswith("44/ticket,"):
                    raise RuntimeError(f"refused: {msg.data[:120]}")
                elif msg.data.startswith(PREFIX):
                    event, *args = json.loads(msg.data[len(PREFIX):])
                    if event == "ticket" and args[0]["rev"] >= rev:  # older news is dropped, as the page does
                        rev = args[0]["rev"]
                        seen.append(args[0]["status"])
                        if seen[-1] in FINAL:
                            return
    except Exception as exc:  # noqa: BLE001 - counted and reported
        errors.append(f"ticket {ticket_id}: {type(exc).__name__}: {exc}")


async def _run(conn, url: str) -> None:
    import aiohttp
    loop = asyncio.get_running_loop()
    seen: dict[int, list[str]] = {}
    errors: list[str] = []
    tasks = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        while True:
            cmd, arg = await loop.run_in_executor(None, conn.recv)
            if cmd == "follow":
                seen[arg] = []
                tasks.append(asyncio.create_task(_follow(session, url, arg, seen[arg], errors)))
            else:  # collect
                await asyncio.sleep(arg)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                conn.send(("seen", seen, errors[:20]))
                return


def client_process(conn, url: str) -> None:
    raise_nofile()
    try:
        asyncio.run(_run(conn, url))
    except Exception as exc:  # noqa: BLE001 - the driver must hear about it rather than wait forever
        conn.send(("error", f"{type(exc).__name__}: {exc}", []))
    finally:
        conn.close()
