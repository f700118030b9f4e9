"""The run websocket through a real Daphne: replay, then live, each seq exactly once."""

import json

import aiohttp

from tests.support.wsclient import collect_run, read_events, start_run

SOCKET_TIMEOUT_S = 10


def assert_complete(evts: list[dict], after: int = -1) -> None:
    seqs = [e["seq"] for e in evts]
    assert seqs == list(range(after + 1, after + 1 + len(seqs))), "every seq once, in order"
    assert evts[-1]["type"] == "run.finished"


async def test_ten_thousand_requests_arrive_complete(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 10_000, "latency_ms": 100})
    evts = await collect_run(server, run_id)
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
    run_id = await start_run(server, {"strategy": "semaphore", "requests": 400, "latency_ms": 20, "limit": 20})
    async with aiohttp.ClientSession() as http:
        url = f"{server.ws_base}/ws/runs/{run_id}/"
        first = await http.ws_connect(url, origin=server.base)
        seen = await read_events(first, until_seq=50, until_finished=False)
        joined = []
        for mark in (200, 600):  # join once the first socket has seen this seq
            joined.append(await http.ws_connect(url, origin=server.base))
            seen += await read_events(first, until_seq=mark, until_finished=False)
        seen += await read_events(first)
        assert_complete(seen)
        for ws in joined:
            evts = await read_events(ws)
            assert evts == seen
            await ws.close()
        await first.close()
        # The joins really happened mid-run: the run was not over at the second one.
        assert seen[-1]["seq"] > 600


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
    run_id = await start_run(server, {"strategy": "semaphore", "requests": 50, "latency_ms": 200, "limit": 5})
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{server.ws_base}/ws/runs/{run_id}/", origin=server.base) as ws:
            head = await read_events(ws, until_seq=5, until_finished=False)
            async with http.post(f"{server.base}/api/runs/{run_id}/cancel") as r:
                assert r.status == 202
            evts = head + await read_events(ws)
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
