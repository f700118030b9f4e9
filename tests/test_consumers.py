"""The run websocket through a real Daphne: replay, then live, each seq exactly once."""

import json

import aiohttp
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from playground.routing import websocket_urlpatterns
from playground.runs.eventstore import events_store, group_name
from playground.runs.models import Run
from tests.support.wsclient import cancel, collect_run, events_around, read_events, start_run, ws_connect_patiently

SOCKET_TIMEOUT_S = 10


def assert_complete(evts: list[dict], after: int = -1) -> None:
    seqs = [e["seq"] for e in evts]
    assert seqs == list(range(after + 1, after + 1 + len(seqs))), "every seq once, in order"
    assert evts[-1]["type"] == "run.finished"


async def test_ten_thousand_requests_arrive_complete(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 10_000, "latency_ms": 100})
    async with aiohttp.ClientSession() as http:
        async with await ws_connect_patiently(http, server, run_id) as ws:  # as the page would
            evts = await read_events(ws)
    assert_complete(evts)
    assert sum(e["type"] == "task.started" for e in evts) == 10_000
    assert sum(e["type"] == "task.finished" for e in evts) == 10_000
    assert evts[-1]["status"] == "finished"
    assert evts[-1]["summary"]["counts"]["ok"] == 10_000


async def test_late_connect_replays_everything(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 20, "latency_ms": 10})
    live = await collect_run(server, run_id)
    late = await collect_run(server, run_id)  # the run is over: all from storage
    assert late == live
    assert_complete(late)
    resumed = await collect_run(server, run_id, after=10)
    assert resumed == live[11:]


async def test_sockets_joining_mid_run_miss_nothing(server):
    """Sockets that join at different moments of a live run each get every event once."""
    # The last request takes 30 s: the run is still going at every join, until the test cancels it.
    latencies = [20] * 399 + [30_000]
    run_id = await start_run(server, {"strategy": "semaphore", "latencies_ms": latencies, "limit": 20})
    async with aiohttp.ClientSession() as http:
        url = f"{server.ws_base}/ws/runs/{run_id}/"
        first = await http.ws_connect(url, origin=server.base)
        seen = await read_events(first, until_seq=50, until_finished=False)
        joined = []
        for mark in (200, 600):  # join once the first socket has seen this seq
            joined.append(await http.ws_connect(url, origin=server.base))
            seen += await read_events(first, until_seq=mark, until_finished=False)
        # 1 + 400 waits + 400 starts + 399 ends: only the 30 s request is left.
        seen += await read_events(first, until_seq=1199, until_finished=False)
        async with http.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
            assert r.status == 202
        seen += await read_events(first)
        assert_complete(seen)
        for ws in joined:
            evts = await read_events(ws)
            assert evts == seen
            await ws.close()
        await first.close()
    # Each request waited, started and ended once: 1 + 3 * 400 + 1 events, the last two the cancel's.
    assert len(seen) == 1202 and [e["type"] for e in seen[-2:]] == ["task.finished", "run.finished"]
    assert [e["type"] for e in seen].count("run.finished") == 1 and seen[-1]["status"] == "cancelled"
    assert {e["task"]: e["status"] for e in seen if e["type"] == "task.finished"}[399] == "cancelled"


async def _refusal(server, path: str, send: str | bytes | None = None):
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(server.ws_base + path, origin=server.base) as ws:
            if send is not None:
                await ws.receive(timeout=SOCKET_TIMEOUT_S)  # the replay of a finished run
                await (ws.send_bytes(send) if isinstance(send, bytes) else ws.send_str(send))
            msg = await ws.receive(timeout=SOCKET_TIMEOUT_S)
            error = json.loads(msg.data)
            closing = await ws.receive(timeout=SOCKET_TIMEOUT_S)
            return error, closing, ws.close_code


async def test_unknown_run_gets_an_error_then_a_close(server):
    error, closing, code = await _refusal(server, "/ws/runs/00000000-0000-0000-0000-000000000000/")
    assert error["type"] == "error" and "unknown run" in error["error"]
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and code == 4404


async def test_bad_after_gets_an_error_naming_it(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 1, "latency_ms": 1})
    for bad in ("abc", "-5"):
        error, _, code = await _refusal(server, f"/ws/runs/{run_id}/?after={bad}")
        assert "after: must be a whole number from -1 up" in error["error"] and code == 4400
    error, _, code = await _refusal(server, "/ws/runs/not-a-uuid/")
    assert error["type"] == "error" and code == 4400


async def test_malformed_messages_get_an_error_then_a_close(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 1, "latency_ms": 1})
    await collect_run(server, run_id)
    cases = [
        ("{nope", "not valid JSON"),
        ('{"type": "launch"}', "unknown message"),
        ("x" * 5000, "too large"),
        (b"\x00\x01", "not binary"),
    ]
    for sent, text in cases:
        error, _, code = await _refusal(server, f"/ws/runs/{run_id}/", send=sent)
        assert error["type"] == "error" and text in error["error"], (sent[:20], error)
        assert code == 4400


async def test_ping_is_answered_with_the_last_seq_sent(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 2, "latency_ms": 1})
    evts = await collect_run(server, run_id)
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_base}/ws/runs/{run_id}/", origin=server.base) as ws:
            await read_events(ws)
            await ws.send_str('{"type": "ping"}')
            pong = json.loads((await ws.receive(timeout=SOCKET_TIMEOUT_S)).data)
    assert pong == {"type": "pong", "last": evts[-1]["seq"]}


async def test_foreign_origins_are_refused(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 1, "latency_ms": 1})
    async with aiohttp.ClientSession() as http:
        try:
            await http.ws_connect(f"{server.ws_base}/ws/runs/{run_id}/", origin="http://evil.example")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 403
        else:
            raise AssertionError("a foreign origin must not connect")


async def test_cancel_stops_a_run_and_ends_every_bar(server):
    # 4 s unless cancelled: the cancel always finds it running.
    run_id = await start_run(server, {"strategy": "semaphore", "requests": 50, "latency_ms": 400, "limit": 5})
    evts = await events_around(server, run_id, 5, lambda: cancel(server, run_id))
    assert_complete(evts)
    end = evts[-1]
    assert end["status"] == "cancelled"

    def attempts(kind):
        return [(e["task"], e["attempt"]) for e in evts if e["type"] == kind]

    finished = attempts("task.finished")
    assert len(finished) == len(set(finished)), "each attempt ends once"
    # Every bar ends: in flight when cancelled, or still waiting for a slot.
    assert set(finished) == set(attempts("task.started")) | set(attempts("task.waiting"))
    assert any(e["type"] == "task.finished" and e["status"] == "cancelled" for e in evts)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
            assert r.status == 409


# ---------------------------------------------------------------- in-process: the refill from storage

COMMUNICATOR_TIMEOUT_S = 5  # every communicator call: an in-process consumer answers in milliseconds


def stored_run(count: int) -> tuple[Run, list[dict]]:
    """A real Run whose events 0 .. count-1 (the last one run.finished) exist, none stored yet."""
    run = Run.objects.create(spec={"strategy": "gather", "requests": count})
    evts = [{"type": "task.started", "seq": seq, "t": seq / 100, "task": seq, "attempt": 1} for seq in range(count)]
    evts[0] = {"type": "run.started", "seq": 0, "t": 0.0, "spec": run.spec}
    evts[-1] = {"type": "run.finished", "seq": count - 1, "t": 1.0, "status": "finished", "error": None, "summary": {}}
    return run, evts


async def receive_seqs(ws: WebsocketCommunicator) -> list[int]:
    message = await ws.receive_json_from(timeout=COMMUNICATOR_TIMEOUT_S)
    assert message["type"] == "events", message
    return [e["seq"] for e in message["events"]]


@pytest.mark.django_db(transaction=True)
async def test_a_live_batch_after_a_dropped_one_is_filled_in_from_storage():
    """The channel layer lost a batch: the next one shows a gap, and the database fills it."""
    run, evts = await sync_to_async(stored_run)(30)
    store = sync_to_async(events_store)
    layer = get_channel_layer()

    async def recorder_flush(batch, *, published=True):
        await store(run.id, batch)  # every event is stored before it is sent (the Recorder's order)
        if published:
            await layer.group_send(group_name(run.id), {"type": "run.events", "events": batch})

    await store(run.id, evts[:10])
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/runs/{run.id}/")
    connected, _ = await ws.connect(timeout=COMMUNICATOR_TIMEOUT_S)
    assert connected
    got = await receive_seqs(ws)  # the replay: 0 .. 9
    assert got == list(range(10))
    await recorder_flush(evts[10:20], published=False)  # this message is lost on the way
    await recorder_flush(evts[20:25])  # a gap: 10 .. 19 come from the database, then 20 .. 24
    got += await receive_seqs(ws)
    await layer.group_send(group_name(run.id), {"type": "run.events", "events": evts[10:20]})  # late
    await recorder_flush(evts[25:30])
    got += await receive_seqs(ws)
    assert got == list(range(30)), "every seq once, in order"
    assert await ws.receive_nothing(timeout=0.2), "the late duplicate batch is not sent again"
    await ws.disconnect(timeout=COMMUNICATOR_TIMEOUT_S)
