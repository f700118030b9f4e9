"""Api.fetch_blocking, the blocking client (urllib.request): the same events, phases and guarantees
as api.fetch -- the allowlist, a timeout always, cancellation from any thread -- against real servers."""

import asyncio
import threading
import time

import pytest

from playground.runs.targets import Target, TargetRefused, demo_target, target_from_setting
from playground.strategies.api import ATTEMPT_SEED_STEP
from playground.strategies.blocking import blocking
from playground.strategies.threads import threads
from tests.support.blocking import blocking_api
from tests.support.demoapi import until
from tests.support.runs import bars, of_type

SLACK_S = 1.0  # upper bounds on a shared 2-core machine
LONG_MS = 10_000  # a request that would still be in flight long after any cancel


def ends(recorder) -> list[dict]:
    return of_type(recorder.history, "task.finished")


def once_each(recorder) -> None:
    """Every attempt that started finished exactly once; numbered without gaps."""
    started = [(e["task"], e["attempt"]) for e in of_type(recorder.history, "task.started")]
    finished = [(e["task"], e["attempt"]) for e in ends(recorder)]
    assert len(set(finished)) == len(finished) and set(started) <= set(finished)
    assert [e["seq"] for e in recorder.history] == list(range(len(recorder.history)))


async def test_a_blocking_request_is_timed_in_phases_like_fetch(demo_api):
    async with blocking_api(demo_target(demo_api.url), spec={"latency_ms": 300}) as (api, recorder):
        body = await asyncio.to_thread(api.fetch_blocking, 0)
    assert b'"i": 0' in body or b'"i":0' in body
    (end,) = ends(recorder)
    assert (end["status"], end["http_status"], end["error"]) == ("ok", 200, None)
    phases = end["phases"]
    assert [p["name"] for p in phases] == ["connect", "wait", "read"]
    for before, after in zip(phases, phases[1:], strict=False):
        assert before["start"] <= before["end"] <= after["start"] <= after["end"]
    assert phases[1]["end"] - phases[1]["start"] >= 0.3, "the demo API's latency is spent waiting"
    (start,) = of_type(recorder.history, "task.started")
    assert start["t"] <= phases[0]["start"] and phases[-1]["end"] <= end["t"]


async def test_attempts_are_counted_once_each_from_many_threads(demo_api):
    async with blocking_api(demo_target(demo_api.url)) as (api, recorder):
        await asyncio.gather(*(asyncio.to_thread(api.fetch_blocking, 0) for _ in range(8)))
    assert sorted(e["attempt"] for e in of_type(recorder.history, "task.started")) == list(range(1, 9))
    assert {e["status"] for e in ends(recorder)} == {"ok"}
    once_each(recorder)


async def test_an_error_answer_is_a_finished_task_with_its_status(demo_api):
    # Seed 1, failure_rate 0.3: request 2 fails with a 500.
    spec = {"failure_rate": 0.3, "seed": 1}
    async with blocking_api(demo_target(demo_api.url), spec=spec) as (api, recorder):
        with pytest.raises(Exception) as raised:
            await asyncio.to_thread(api.fetch_blocking, 2)
    assert type(raised.value).__name__ == "HTTPError"
    (end,) = ends(recorder)
    assert (end["status"], end["http_status"], end["error"]) == ("error", 500, "HTTPError")
    assert [p["name"] for p in end["phases"]] == ["connect", "wait"]


async def test_a_refused_connection_names_what_failed():
    t = target_from_setting({"name": "nothing", "url": "http://127.0.0.1:9/nothing-listens-here"})
    async with blocking_api(t) as (api, recorder):
        with pytest.raises(ConnectionRefusedError):
            await asyncio.to_thread(api.fetch_blocking, 0)
    (end,) = ends(recorder)
    assert (end["status"], end["error"]) == ("error", "ConnectionRefusedError")


# --- The allowlist -------------------------------------------------------------------


async def test_a_redirect_off_the_list_is_refused_unsent(httpbin, outside):
    allowed = target_from_setting({"name": "httpbin", "url": httpbin.url("/get")})
    leave = target_from_setting({"name": "leave", "url": httpbin.url(f"/redirect-to?url={outside.url('/ok')}")})
    before = httpbin.hits("/redirect-to")
    async with blocking_api(leave, allowed=[allowed, leave]) as (api, recorder):
        with pytest.raises(TargetRefused, match="not an allowed target"):
            api.fetch_blocking(0)  # on the loop's thread: httpbin is another process
    assert outside.hits == 0, "the server off the list must never be contacted"
    await until(lambda: httpbin.hits("/redirect-to") == before + 1)
    (end,) = ends(recorder)
    assert (end["status"], end["error"]) == ("error", "TargetRefused")


async def test_a_redirect_within_the_list_is_followed(httpbin):
    allowed = target_from_setting({"name": "httpbin", "url": httpbin.url("/get")})
    hop = target_from_setting({"name": "hop", "url": httpbin.url(f"/redirect-to?url={httpbin.url('/get')}")})
    before = httpbin.hits("/get")
    async with blocking_api(hop, allowed=[allowed, hop]) as (api, recorder):
        await asyncio.to_thread(api.fetch_blocking, 0)
    (end,) = ends(recorder)
    assert (end["status"], end["http_status"]) == ("ok", 200)
    await until(lambda: httpbin.hits("/get") == before + 1)


async def test_a_name_resolving_off_its_pinned_addresses_is_refused_before_connecting(httpbin):
    port = httpbin.base.rsplit(":", 1)[1]
    pinned = target_from_setting({"name": "x", "url": f"http://localhost:{port}/get", "addresses": ["127.0.0.9"]})
    before = httpbin.hits("/get")
    async with blocking_api(pinned) as (api, recorder):
        with pytest.raises(TargetRefused, match="not to an allowed address"):
            api.fetch_blocking(0)
    (end,) = ends(recorder)
    assert (end["status"], end["error"], end["phases"]) == ("error", "TargetRefused", [])
    assert httpbin.hits("/get") == before


# --- A timeout always ---------------------------------------------------------------


@pytest.mark.parametrize("given_s,safety_s", [(0.3, 30.0), (None, 0.3)])
async def test_a_hanging_request_times_out_by_its_timeout_or_the_safety_net(demo_api, given_s, safety_s):
    target = demo_target(demo_api.url)
    async with blocking_api(target, spec={"hang_rate": 1}, safety_timeout_s=safety_s) as (api, recorder):
        with pytest.raises(TimeoutError):
            await asyncio.to_thread(api.fetch_blocking, 0, timeout=given_s)
    (end,) = ends(recorder)
    assert (end["status"], end["error"]) == ("timeout", "TimeoutError")
    span = bars(recorder.history)[(0, 1)]
    assert 0.3 <= span["end"] - span["start"] < 0.3 + SLACK_S
    assert [p["name"] for p in end["phases"]] == ["connect", "wait"]


# --- Cancellation, from any thread ---------------------------------------------------


async def test_cancel_blocking_from_another_thread_ends_requests_in_flight_at_once(demo_api):
    target = demo_target(demo_api.url)
    async with blocking_api(target, spec={"latency_ms": LONG_MS}) as (api, recorder):
        calls = [asyncio.ensure_future(asyncio.to_thread(api.fetch_blocking, i)) for i in range(3)]
        await until(lambda: len(of_type(recorder.history, "task.started")) == 3)
        began = time.monotonic()
        canceller = threading.Thread(target=api.cancel_blocking)
        canceller.start()
        results = await asyncio.gather(*calls, return_exceptions=True)
        took = time.monotonic() - began
        canceller.join()
        with pytest.raises(asyncio.CancelledError):
            api.fetch_blocking(3)  # refused: nothing new starts once cancelled
    assert [type(r) for r in results] == [asyncio.CancelledError] * 3
    assert took < SLACK_S, "well before their 10 s latency"
    assert sorted((e["task"], e["status"], e["error"]) for e in ends(recorder)) == [
        (i, "cancelled", "CancelledError") for i in range(3)
    ]
    assert 3 not in {e["task"] for e in recorder.history if "task" in e}, "a refused request never starts"
    once_each(recorder)


async def test_cancel_blocking_frees_a_loop_blocked_inside_async_def(demo_api):
    started = threading.Event()

    def on_event(event):
        if event["type"] == "task.started":
            started.set()

    target = demo_target(demo_api.url)
    async with blocking_api(target, spec={"latency_ms": LONG_MS}, on_event=on_event) as (api, recorder):
        # The loop's thread is held by the request: only another thread can cut it short.
        canceller = threading.Thread(target=lambda: started.wait(SLACK_S * 10) and api.cancel_blocking())
        canceller.start()
        began = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await blocking(api, 3)
        took = time.monotonic() - began
        canceller.join()
    assert took < 3 * SLACK_S, "well before the first request's 10 s latency"
    assert [(e["task"], e["status"]) for e in ends(recorder)] == [(0, "cancelled")]
    assert {e["task"] for e in of_type(recorder.history, "task.started")} == {0}, "the others are refused"


async def test_a_cancelled_threads_run_drops_its_queue_without_waiting_it_out(demo_api):
    target = demo_target(demo_api.url)
    async with blocking_api(target, spec={"latency_ms": LONG_MS}) as (api, recorder):
        run = asyncio.ensure_future(threads(api, 6, workers=2))
        await until(lambda: len(of_type(recorder.history, "task.started")) == 2)
        began = time.monotonic()
        run.cancel()  # what a learner's cancel does: the run's task, and its blocking requests
        api.cancel_blocking()
        with pytest.raises(asyncio.CancelledError):
            await run
        await api.close()
        took = time.monotonic() - began
    assert took < SLACK_S, "neither the two in flight nor the four queued are waited out"
    assert sorted((e["task"], e["status"]) for e in ends(recorder)) == [(i, "cancelled") for i in range(6)]
    assert {e["task"] for e in of_type(recorder.history, "task.started")} == {0, 1}
    assert [e["reason"] for e in of_type(recorder.history, "task.waiting")] == ["thread"] * 6
    once_each(recorder)


def test_a_cancel_shuts_a_blocking_https_request_through_its_tls_socket():
    """HTTPSConnection wraps the plain socket in TLS and detaches it (its fd becomes -1): the
    connection must hand the wrapped one over too, or a cancel cannot cut an https request."""
    import http.server
    import socket
    import ssl

    import trustme

    from playground.runs.targets import PinnedHTTPSConnection

    ca = trustme.CA()
    got, release = threading.Event(), threading.Event()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            got.set()
            release.wait(30)  # answers only once the test is over

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    class Watch:
        def __init__(self):
            self.sockets: list[socket.socket] = []

        def opened(self, sock):
            self.sockets.append(sock)

        def wrapped(self, sock):
            self.sockets.append(sock)

        def connected(self):
            pass

        def request_sent(self):
            pass

    watch = Watch()
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    conn = PinnedHTTPSConnection(
        "127.0.0.1",
        port=server.server_address[1],
        allowed={"127.0.0.1": frozenset({"127.0.0.1"})},
        watch=watch,
        context=client_ctx,
        timeout=30,
    )
    shut = []

    def cancel_once_asked():
        got.wait(30)
        for sock in watch.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                shut.append(type(sock).__name__)
            except OSError:
                pass  # the plain socket, detached by the TLS wrap

    cutter = threading.Thread(target=cancel_once_asked)
    cutter.start()
    try:
        conn.request("GET", "/")
        with pytest.raises((OSError, http.client.HTTPException)):
            conn.getresponse()
        answered_first = release.is_set()
    finally:
        release.set()
        cutter.join()
        conn.close()
        server.shutdown()
        server.server_close()
    assert shut == ["SSLSocket"], "the wrapped socket was shut"
    assert not answered_first, "the request ended by the cut, not by an answer"


async def test_a_requests_url_carries_the_workload_its_own_latency_and_its_attempts_seed():
    # Made once a request, for fetch and fetch_blocking alike: the fixed part encoded once.
    demo = Target("demo", "http://127.0.0.1:9/work?lang=en#top", frozenset({"127.0.0.1"}), demo=True)
    spec = {"latency_ms": 100, "latencies_ms": [30, 40.5], "jitter_ms": 5, "failure_rate": 0.25, "seed": 7}
    async with blocking_api(demo, spec=spec) as (api, _):
        url, first = api.request_url(1, attempt=3), api.request_url(0)
    key = url.query["key"]  # the run's (blocking_api's: test-<uuid>)
    assert (url.path, url.fragment, key.startswith("test-")) == ("/work", "", True)
    fixed = {"lang": "en", "key": key, "jitter_ms": "5", "failure_rate": "0.25"}
    assert dict(url.query) == {**fixed, "i": "1", "latency_ms": "40.5", "seed": str(7 + 2 * ATTEMPT_SEED_STEP)}
    assert dict(first.query) == {**fixed, "i": "0", "latency_ms": "30", "seed": "7"}
    async with blocking_api(demo, spec={"latency_ms": 100, "seed": None}) as (api, _):
        assert (api.request_url(2).query["latency_ms"], api.request_url(2).query["seed"]) == ("100", "0")
    other = Target("other", "http://127.0.0.1:9/items?page=2", frozenset({"127.0.0.1"}))
    async with blocking_api(other, spec=spec) as (api, _):
        assert str(api.request_url(4, attempt=2)) == "http://127.0.0.1:9/items?page=2&i=4", "no workload"
