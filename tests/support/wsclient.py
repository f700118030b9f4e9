"""A websocket client for tests: read a run's event stream until it ends."""

import asyncio
import json

import aiohttp

RUN_TIMEOUT_S = 60  # the longest run a test starts is ~5 s; past this something hangs


async def read_events(
    ws, *, until_seq=None, until_finished=True, timeout=RUN_TIMEOUT_S, queue: list | None = None
) -> list[dict]:
    """Events from `ws` in arrival order, until run.finished (or seq >= until_seq).

    Queue reports (a run waiting for a worker) go to `queue` when given; nothing else may come.
    """
    got: list[dict] = []
    async with asyncio.timeout(timeout):
        async for msg in ws:
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data = json.loads(msg.data)
            if data["type"] == "queue" and not got:
                if queue is not None:
                    queue.append(data)
                continue
            assert data["type"] == "events", data
            got.extend(data["events"])
            if until_seq is not None and got and got[-1]["seq"] >= until_seq:
                return got
            if until_finished and any(e["type"] == "run.finished" for e in data["events"]):
                return got
    return got


async def collect_run(server, run_id: str, after: int = -1) -> list[dict]:
    """Every event of a run after `after`, read over the websocket until run.finished."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_base}/ws/runs/{run_id}/?after={after}", origin=server.base) as ws:
            return await read_events(ws)


async def start_run(server, spec: dict) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(server.base + "/api/runs", json=spec) as r:
            assert r.status == 201, await r.text()
            return (await r.json())["id"]


# Daphne refuses (403) a websocket whose handshake its loop did not finish within 5 s: the
# start of a 10,000-request run can hold a loaded machine's loop that long. The page then
# reconnects; a test that watches such a run does the same, a bounded number of times.
HANDSHAKE_ATTEMPTS = 4


async def ws_connect_patiently(http: aiohttp.ClientSession, server, run_id: str, after: int = -1):
    """A socket on the run's events, retrying a handshake a busy server refused."""
    url = f"{server.ws_base}/ws/runs/{run_id}/?after={after}"
    for attempt in range(1, HANDSHAKE_ATTEMPTS + 1):
        try:
            return await http.ws_connect(url, origin=server.base)
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status != 403 or attempt == HANDSHAKE_ATTEMPTS:
                raise


async def events_around(server, run_id: str, until_seq: int, act, *, watcher=None) -> list[dict]:
    """Every event of a run, read from `watcher` (default: `server`): up to `until_seq`, then
    `await act()` while the run goes on (cancel it, kill its worker...), then to its end."""
    watcher = watcher or server
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{watcher.ws_base}/ws/runs/{run_id}/", origin=watcher.base) as ws:
            head = await read_events(ws, until_seq=until_seq, until_finished=False)
            await act()
            return head + await read_events(ws)


async def cancel(server, run_id: str) -> None:
    """POST the run's cancel; the answer must be 202."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
            assert r.status == 202, await r.text()
