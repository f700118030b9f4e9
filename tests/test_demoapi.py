"""The demo API: the pure plan, the real HTTP server, its process launcher and command."""

import asyncio
import gc
import json
import subprocess
import time
import urllib.request

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from playground.demoapi import process
from playground.demoapi.management.commands.demoapi import Command
from playground.demoapi.plan import Plan, plan
from playground.demoapi.process import DemoApiProcess, demo_api_url
from playground.demoapi.server import MAX_KEYS, STATE, DemoState, TokenBucket, serve
from tests.support.demoapi import start_test_server, until

SHORT = aiohttp.ClientTimeout(total=5)  # every request gets an explicit, short timeout


@pytest.fixture
async def client():
    client = TestClient(await start_test_server(), timeout=SHORT)
    await client.start_server()
    yield client
    await client.close()  # closes the server too


async def get(client: TestClient, **params) -> tuple[int, dict, dict]:
    async with client.get("/work", params=params) as resp:
        return resp.status, dict(resp.headers), await resp.json()


# ---------------------------------------------------------------- plan (pure)


def test_a_plan_with_nothing_to_draw_is_its_latency_and_ok():
    assert [plan(i, 9, 150) for i in range(3)] == [Plan(0.15, "ok")] * 3
    assert plan(0, 9, -5) == Plan(0.0, "ok")
    assert plan(4, 9, 150, failure_rate=1.0).outcome == "failure", "a rate still draws"


def test_plan_same_seed_and_i_gives_same_plan():
    args = dict(latency_ms=100, jitter_ms=80, failure_rate=0.3, hang_rate=0.1, reset_rate=0.1)
    first = [plan(i, 42, **args) for i in range(500)]
    assert first == [plan(i, 42, **args) for i in range(500)]
    assert first != [plan(i, 43, **args) for i in range(500)]


def test_plan_draw_order_is_fixed():
    # Golden values: a change here reshuffles every recorded lesson.
    assert plan(0, 0, 200, 50).latency_s == pytest.approx(0.20847004851343456)
    outcomes = [plan(i, 1, 100, 0, 0.5, 0.3, 0.2).outcome for i in range(8)]
    assert outcomes == ["failure", "hang", "failure", "reset", "failure", "reset", "ok", "ok"]


def test_jitter_stays_within_bounds_and_spreads():
    latencies = [plan(i, 7, 100, 30).latency_s for i in range(2000)]
    assert all(0.070 <= s <= 0.130 for s in latencies)
    assert min(latencies) < 0.080 and max(latencies) > 0.120


def test_latency_is_never_negative():
    assert min(plan(i, 7, 10, 50).latency_s for i in range(2000)) == 0.0


def test_failure_fraction_matches_failure_rate():
    failed = sum(plan(i, 3, 0, failure_rate=0.3).outcome == "failure" for i in range(10_000))
    assert 0.27 < failed / 10_000 < 0.33  # sd is 0.0046: +/-0.03 is 6.5 sd


def test_raising_failure_rate_does_not_reshuffle_hangs():
    def hangs(failure_rate: float) -> set[int]:
        return {i for i in range(2000) if plan(i, 5, 0, 0, failure_rate, 0.1).outcome == "hang"}

    assert hangs(0.0) == hangs(0.5)
    assert hangs(0.0)


def test_outcome_priority_is_reset_then_hang_then_failure():
    assert plan(0, 0, 0, 0, 1, 1, 1).outcome == "reset"
    assert plan(0, 0, 0, 0, 1, 1, 0).outcome == "hang"
    assert plan(0, 0, 0, 0, 1, 0, 0).outcome == "failure"
    assert plan(0, 0, 0, 0, 0, 0, 0).outcome == "ok"


def test_token_bucket_allows_a_burst_then_the_rate():
    bucket = TokenBucket(rate=4, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [0.0] * 4
    assert bucket.take(0.0) == pytest.approx(0.25)
    assert bucket.take(0.25) == 0.0  # a token refilled
    assert all(bucket.take(1.0 + k * 0.3) == 0.0 for k in range(50))  # spaced under 4/s


def test_token_bucket_below_one_per_second_holds_one_token():
    bucket = TokenBucket(rate=0.5, now=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(2.0)


def test_limits_keep_at_most_max_keys_buckets():
    limits = DemoState()
    for k in range(MAX_KEYS + 1):
        limits.wait_s(f"run-{k}", 1.0, now=0.0)
    assert len(limits.buckets) == MAX_KEYS
    assert ("run-0", 1.0) not in limits.buckets  # least recently used went first


# ---------------------------------------------------------------- HTTP


async def test_ok_answer_is_deterministic(client):
    first = await get(client, i=3, seed=5, latency_ms=10, jitter_ms=5)
    second = await get(client, i=3, seed=5, latency_ms=10, jitter_ms=5)
    assert first[0] == 200
    assert first[2] == second[2]
    expected = round(plan(3, 5, 10, 5).latency_s * 1000, 1)
    assert first[2] == {"i": 3, "latency_ms": expected, "seed": 5}


async def test_latency_is_honoured(client):
    started = time.monotonic()
    status, _, _ = await get(client, i=0, latency_ms=200)
    assert status == 200
    assert time.monotonic() - started >= 0.19  # lower bound only: the machine may be busy


async def test_failure_answers_with_the_chosen_status(client):
    status, _, body = await get(client, i=1, latency_ms=0, failure_rate=1, status=503)
    assert status == 503
    assert body == {"i": 1, "error": "simulated failure", "latency_ms": 0.0}


async def test_hang_is_cancelled_when_the_client_gives_up(client):
    state = client.app[STATE]
    with pytest.raises(asyncio.TimeoutError):
        await client.get("/work", params={"i": 0, "hang_rate": 1}, timeout=aiohttp.ClientTimeout(total=0.3))
    await until(lambda: state.in_flight == 0)
    assert state.cancelled == 1


async def test_reset_gives_a_connection_error_not_a_response(client):
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(client, i=0, latency_ms=0, reset_rate=1)


async def test_server_rate_rejects_a_burst_beyond_capacity(client):
    params = dict(i=0, latency_ms=0, server_rate=2, key="burst")  # 2 tokens, 1 per 0.5 s
    answers = [await get(client, **params) for _ in range(6)]
    assert [status for status, _, _ in answers[:2]] == [200, 200]
    rejected = [(headers, body) for status, headers, body in answers if status == 429]
    assert rejected
    for headers, body in rejected:
        assert int(headers["Retry-After"]) >= 1
        assert body["error"] == "rate limited"
        assert 0 < body["retry_after_s"] <= 0.5
    assert (await get(client, **{**params, "key": "other"}))[0] == 200  # keys are apart


async def test_server_rate_under_capacity_rejects_none(client):
    statuses = [(await get(client, i=k, latency_ms=0, server_rate=1000, key="calm"))[0] for k in range(50)]
    assert statuses == [200] * 50


async def test_server_limit_rejects_exactly_the_one_beyond(client):
    state = client.app[STATE]
    params = {"i": 0, "hang_rate": 1, "server_limit": 3, "key": "lim"}
    hanging = [asyncio.create_task(client.get("/work", params=params)) for _ in range(3)]
    await until(lambda: state.in_flight == 3)  # the first three are in flight
    status, headers, body = await get(client, **params)
    assert (status, headers["Retry-After"]) == (503, "1")
    assert body == {"error": "too many concurrent requests", "limit": 3}
    for task in hanging:
        task.cancel()
    results = await asyncio.gather(*hanging, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    await until(lambda: state.in_flight == 0)
    assert (await get(client, i=0, latency_ms=0, server_limit=3, key="lim"))[0] == 200


@pytest.mark.parametrize(
    ("query", "field", "allowed"),
    [
        ("", "i", "between 0 and 9223372036854775807"),
        ("i=abc", "i", "between 0 and 9223372036854775807"),
        ("i=-1", "i", "between 0 and 9223372036854775807"),
        ("i=0&latency_ms=-5", "latency_ms", "between 0 and 60000"),
        ("i=0&latency_ms=fast", "latency_ms", "between 0 and 60000"),
        ("i=0&jitter_ms=nan", "jitter_ms", "between 0 and 60000"),
        ("i=0&failure_rate=1.5", "failure_rate", "between 0 and 1"),
        ("i=0&status=200", "status", "between 400 and 599"),
        ("i=0&seed=9223372036854775808", "seed", "between -9223372036854775808 and"),
        ("i=0&hang_rate=-0.1", "hang_rate", "between 0 and 1"),
        ("i=0&reset_rate=2", "reset_rate", "between 0 and 1"),
        ("i=0&server_rate=0", "server_rate", "between 0.001 and 100000"),
        ("i=0&server_limit=0", "server_limit", "between 1 and 100000"),
        ("i=0&key=" + "k" * 65, "key", "between 0 and 64 characters"),
    ],
)
async def test_bad_query_names_the_field_and_its_range(client, query, field, allowed):
    async with client.get(f"/work?{query}") as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["field"] == field
    assert body["error"].startswith(f"{field}: must be {allowed}")


async def test_help_lists_every_parameter(client):
    async with client.get("/") as resp:
        text = await resp.text()
    for name in (
        "i",
        "latency_ms",
        "jitter_ms",
        "failure_rate",
        "status",
        "seed",
        "hang_rate",
        "reset_rate",
        "server_rate",
        "server_limit",
        "key",
    ):
        assert f"\n  {name} " in text


# ---------------------------------------------------------------- process and command


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


async def test_serving_freezes_what_start_up_made():
    """Once it listens, the server's start-up objects are out of the collector's passes (gc.freeze):
    a full collection no longer walks Django's heap while requests wait for their answers."""
    frozen: list[int] = []
    before = gc.get_freeze_count()
    ready = asyncio.Event()

    def on_ready(url: str) -> None:
        frozen.append(gc.get_freeze_count())
        ready.set()

    server = asyncio.create_task(serve("127.0.0.1", 0, on_ready=on_ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
        gc.unfreeze()  # this test process's objects go back to the collector
    assert frozen[0] > before


def test_process_serves_and_stops():
    api = DemoApiProcess.start()
    try:
        assert api.url.startswith("http://127.0.0.1:")
        assert fetch_json(f"{api.url}/work?i=0&latency_ms=0") == {"i": 0, "latency_ms": 0.0, "seed": 0}
    finally:
        api.stop()
    assert api.proc.returncode == 0  # SIGTERM is a clean exit


def test_process_stops_cleanly_right_after_ready():
    api = DemoApiProcess.start()
    api.stop()  # SIGTERM at once: the handlers are installed before the ready line
    assert api.proc.returncode == 0


def test_process_exits_when_its_parent_is_gone():
    fake_parent = subprocess.Popen(["sleep", "60"])
    try:
        api = DemoApiProcess.start(parent_pid=fake_parent.pid)
    finally:
        fake_parent.kill()
        fake_parent.wait()  # reaped: a zombie would still look alive
    try:
        assert api.proc.wait(timeout=5) == 0  # polls every second
    finally:
        api.stop()


def test_process_start_failure_reports_stderr():
    with pytest.raises(RuntimeError, match=r"(?s)exited before it was ready.*gaierror"):
        DemoApiProcess.start(host="256.256.256.256")


def test_demo_api_url_prefers_the_setting(settings):
    settings.DEMO_API_URL = "http://api.example:9000/"
    assert demo_api_url() == "http://api.example:9000"


def test_demo_api_url_starts_one_child_per_process(settings):
    settings.DEMO_API_URL = ""
    try:
        url = demo_api_url()
        assert demo_api_url() == url
        assert fetch_json(f"{url}/work?i=1&latency_ms=0")["i"] == 1
    finally:
        process._stop_shared()


def test_command_parses_host_and_port():
    parser = Command().create_parser("manage.py", "demoapi")
    options = parser.parse_args(["--host", "0.0.0.0", "--port", "9001"])
    assert (options.host, options.port) == ("0.0.0.0", 9001)
    assert parser.parse_args([]).port == 8001
