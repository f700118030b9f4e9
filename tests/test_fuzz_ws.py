"""Property-based tests of the run websocket: any message, `after` or run id gets an answer.

    message (hypothesis) --> {"type": "pong"} for a ping, else {"type": "error"} and close 4400
    ?after= (hypothesis) --> the stored events after it, or an error naming `after` and close 4400
    run id (hypothesis)  --> the run's events, or an error and close 4400 (malformed) / 4404 (unknown)

Every receive has a short timeout: a socket that goes quiet instead of answering fails.
"""

import asyncio
import json
import uuid
from collections import Counter
from urllib.parse import parse_qs, quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from playground.runs.consumers import CLOSE_BAD_REQUEST, CLOSE_NOT_FOUND, MAX_AFTER, MAX_MESSAGE_BYTES
from tests.support.fuzzing import assert_no_server_errors, examples, new_log_lines
from tests.support.wsclient import collect_run, start_run

RECEIVE_TIMEOUT_S = 5  # a finished run's replay is one small frame; longer than this is a hang
# In `make test` these counts, derandomized; `make fuzz` runs FUZZ_EXAMPLES messages, and as many
# connections shared between the ?after= and run id tests.
MESSAGE_EXAMPLES = examples(600, surface=600)
AFTER_EXAMPLES = examples(250, surface=500)
RUN_ID_EXAMPLES = examples(250, surface=500)
CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- Strategies ---------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]))  # lone surrogates cannot be sent as UTF-8
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
MESSAGE_TYPES = st.sampled_from(["ping", "PING", "pong", "launch", "cancel", "", None, 1]) | TEXT
PINGISH = st.builds(
    lambda kind, extra: {**extra, "type": kind}, MESSAGE_TYPES, st.dictionaries(TEXT, JSON_VALUES, max_size=2)
)


def padded(text: str, size: int) -> str:
    """`text` with JSON whitespace around it, `size` characters in all: either side of the limit."""
    return text + " " * max(0, size - len(text))


NEAR_LIMIT = st.integers(MAX_MESSAGE_BYTES - 2, MAX_MESSAGE_BYTES + 2)
PINGS = st.dictionaries(TEXT, JSON_VALUES, max_size=2).map(lambda extra: {**extra, "type": "ping"})
MESSAGES = (
    PINGISH.map(json.dumps)
    | PINGS.map(json.dumps)
    | JSON_VALUES.map(json.dumps)
    | TEXT
    | st.binary(max_size=64)
    | st.builds(padded, st.just('{"type": "ping"}'), NEAR_LIMIT)
    | st.builds(lambda n: "[" * n + "]" * n, st.integers(1, MAX_MESSAGE_BYTES // 2))  # nested deeply
    | st.builds(lambda n: "[" * n, st.integers(MAX_MESSAGE_BYTES - 100, MAX_MESSAGE_BYTES))
    | st.builds(lambda n: '{"a":' * n + "1" + "}" * n, st.integers(1, MAX_MESSAGE_BYTES // 5))
    | st.sampled_from(
        [
            '{"type": "ping"',
            "NaN",
            '{"type": "ping", "type": "launch"}',
            "\x00",
            '{"type": "ping", "n": 1' + "0" * 900 + "}",
        ]
    )
    | st.integers(MAX_MESSAGE_BYTES, 70_000).map(lambda n: "x" * n)  # oversized
)

AFTER_VALUES = (
    st.integers(-3, 60).map(str)
    | st.integers().map(str)
    | st.sampled_from([MAX_AFTER, MAX_AFTER + 1, 2**64, 10**30, -(10**30)]).map(str)
    | st.sampled_from(["", "abc", "1.5", "1e3", " 7", "+3", "0x10", "1_0", "٣", "-", "nan", "9" * 5000])
    | TEXT
)


def query_of(values: list[str]) -> str:
    return "&".join("after=" + quote(v, safe="") for v in values)


QUERIES = (
    st.lists(AFTER_VALUES, min_size=1, max_size=3).map(query_of)
    | st.text(max_size=30).map(lambda s: quote(s, safe="=&%"))  # any query, even no `after` at all
)

# --- Talking to the socket ---------------------------------------------------------


async def receive(ws) -> aiohttp.WSMessage:
    return await ws.receive(timeout=RECEIVE_TIMEOUT_S)


async def read_until_error_or(ws, wanted: str) -> tuple[list[dict], dict]:
    """Event frames, then the first message of type `wanted` or "error"."""
    events: list[dict] = []
    while True:
        msg = await receive(ws)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        if data["type"] == "events":
            events += data["events"]
        else:
            assert data["type"] in (wanted, "error"), data
            return events, data


async def assert_closes(ws, code: int) -> None:
    msg = await receive(ws)
    assert msg.type in CLOSED, msg
    assert close_code_sent(ws, msg) == code, (ws.close_code, msg)


def close_code_sent(ws, msg) -> int | None:
    """The code the server closed with: its CLOSE frame's own. (aiohttp's ws.close_code turns 1006
    when its reply to that frame meets a connection the server has already dropped: a race.)"""
    return msg.data if msg.type == aiohttp.WSMsgType.CLOSE else ws.close_code


def expected_reply(message: str | bytes) -> str:
    """What the consumer answers: "pong" to a ping, "error" to anything else."""
    if isinstance(message, bytes) or len(message) > MAX_MESSAGE_BYTES:
        return "error"
    try:
        data = json.loads(message)
    except (ValueError, RecursionError):
        return "error"
    return "pong" if isinstance(data, dict) and data.get("type") == "ping" else "error"


def expected_after(query: str) -> int | None:
    """The `after` the consumer replays from, or None when it must refuse the query."""
    raw = parse_qs(query).get("after", ["-1"])[-1]
    try:
        after = int(raw)
    except ValueError:
        return None
    return after if -1 <= after <= MAX_AFTER else None


# --- Fixtures and the harness --------------------------------------------------------


class Harness:
    """One event loop and one ClientSession for every example of a test."""

    def __init__(self, server, runner: asyncio.Runner, http: aiohttp.ClientSession):
        self.server, self.runner, self.http = server, runner, http
        self.cases = 0
        self.log_offset = server.log.stat().st_size

    def assert_quiet_log(self) -> None:
        """Nothing this test sent made the server log a traceback or answer 500."""
        assert_no_server_errors(new_log_lines(self.server, self.log_offset))

    def socket(self, path_and_query: str):
        url = URL(self.server.ws_base + path_and_query, encoded=True)  # sent as written
        return self.http.ws_connect(url, origin=self.server.base, autoping=False)

    def run(self, coro):
        self.cases += 1
        return self.runner.run(coro)


@pytest.fixture(scope="module")
def finished_run(server):
    """A small run that has finished: (id, its events)."""

    async def make():
        run_id = await start_run(server, {"strategy": "gather", "requests": 3, "latency_ms": 1})
        return run_id, await collect_run(server, run_id)

    with asyncio.Runner() as runner:
        return runner.run(make())


@pytest.fixture
def harness(server):
    async def open_session():
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    with asyncio.Runner() as runner:
        http = runner.run(open_session())
        try:
            yield Harness(server, runner, http)
        finally:
            runner.run(http.close())


# --- The properties ---------------------------------------------------------------------


def test_any_message_gets_a_pong_or_an_error_and_a_close(harness, finished_run):
    run_id, stored = finished_run
    replies = {"pong": 0, "error": 0}
    errors: Counter[str] = Counter()

    async def exchange(message):
        async with harness.socket(f"/ws/runs/{run_id}/") as ws:
            assert await read_replay(ws, len(stored)) == stored
            await (ws.send_bytes(message) if isinstance(message, bytes) else ws.send_str(message))
            _, reply = await read_until_error_or(ws, "pong")
            if reply["type"] == "pong":
                assert reply == {"type": "pong", "last": stored[-1]["seq"]}
            else:
                assert isinstance(reply["error"], str) and reply["error"], reply
                await assert_closes(ws, CLOSE_BAD_REQUEST)
                errors[reply["error"].split(":")[0].split(";")[0]] += 1
            return reply["type"]

    @settings(FUZZ_SETTINGS, max_examples=MESSAGE_EXAMPLES)
    @given(message=MESSAGES)
    def check(message):
        got = harness.run(exchange(message))
        assert got == expected_reply(message), (message[:100], got)
        replies[got] += 1

    check()
    print(f"websocket messages: {harness.cases} cases, replies {replies}, errors {dict(errors)}")
    assert harness.cases >= MESSAGE_EXAMPLES and min(replies.values()) >= 20, replies
    harness.assert_quiet_log()


async def read_replay(ws, count: int) -> list[dict]:
    events: list[dict] = []
    while len(events) < count:
        msg = await receive(ws)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        assert data["type"] == "events", data
        events += data["events"]
    return events


def test_any_after_gets_the_events_after_it_or_an_error_naming_it(harness, finished_run):
    run_id, stored = finished_run
    last = stored[-1]["seq"]
    outcomes = {"replayed": 0, "refused": 0}

    async def connect(query):
        async with harness.socket(f"/ws/runs/{run_id}/?{query}") as ws:
            await ws.send_str('{"type": "ping"}')  # a pong ends the wait even when nothing is replayed
            events, reply = await read_until_error_or(ws, "pong")
            if reply["type"] == "error":
                await assert_closes(ws, CLOSE_BAD_REQUEST)
                return None, reply
            if len(events) < last - reply["last"]:  # the pong overtook the replay: read the rest
                events += await read_replay(ws, last - reply["last"])
            return events, reply

    @settings(FUZZ_SETTINGS, max_examples=AFTER_EXAMPLES)
    @given(query=QUERIES)
    def check(query):
        events, reply = harness.run(connect(query))
        after = expected_after(query)
        if after is None:
            assert events is None and reply["error"].startswith("after: must be a whole number"), (query, reply)
            outcomes["refused"] += 1
        else:
            assert events == [e for e in stored if e["seq"] > after], (query, events)
            outcomes["replayed"] += 1

    check()
    print(f"websocket ?after=: {harness.cases} cases, {outcomes}")
    assert harness.cases >= AFTER_EXAMPLES and min(outcomes.values()) >= 20, outcomes
    harness.assert_quiet_log()


def spellings_of(run_id: str) -> list[str]:
    """Ways to write the run's own id that uuid.UUID reads."""
    u = uuid.UUID(run_id)
    return [str(u), str(u).upper(), u.hex, "{" + str(u) + "}", "urn:uuid:" + str(u)]


RUN_IDS = (
    st.uuids().map(str)  # well-formed and foreign
    | st.uuids().map(lambda u: u.hex)
    # Anything else, percent-encoded as one path segment; but see test_a_run_id_with_a_slash_...
    | TEXT.filter(lambda s: "/" not in s and s not in ("", ".", ".."))
    | st.sampled_from(["00000000-0000-0000-0000-000000000000", "0" * 31, "0" * 33, "g" * 32, "%", "x" * 5000])
)


def test_any_run_id_gets_its_events_or_an_error_and_a_close(harness, finished_run):
    run_id, stored = finished_run
    outcomes = {"found": 0, "unknown": 0, "malformed": 0}

    async def connect(segment):
        async with harness.socket(f"/ws/runs/{quote(segment, safe='')}/") as ws:
            msg = await receive(ws)
            data = json.loads(msg.data)
            if data["type"] == "events":
                return "found", data
            assert data["type"] == "error" and data["error"], data
            msg = await receive(ws)
            assert msg.type in CLOSED, msg
            closed = close_code_sent(ws, msg)
            return {CLOSE_NOT_FOUND: "unknown", CLOSE_BAD_REQUEST: "malformed"}[closed], data

    def expected(segment: str) -> str:
        try:
            u = uuid.UUID(segment)
        except ValueError:
            return "malformed"
        return "found" if str(u) == run_id else "unknown"

    @settings(FUZZ_SETTINGS, max_examples=RUN_ID_EXAMPLES)
    @given(segment=RUN_IDS)
    def check(segment):
        got, data = harness.run(connect(segment))
        assert got == expected(segment), (segment[:100], data)
        if got == "unknown":
            assert data["error"] == f"unknown run {uuid.UUID(segment)}"
        outcomes[got] += 1

    for segment in spellings_of(run_id):
        assert harness.run(connect(segment))[0] == "found", segment
        outcomes["found"] += 1
    check()
    print(f"websocket run ids: {harness.cases} cases, {outcomes}")
    assert harness.cases >= RUN_ID_EXAMPLES and outcomes["unknown"] >= 20 and outcomes["malformed"] >= 20, outcomes
    harness.assert_quiet_log()


async def test_a_run_id_with_a_slash_or_none_at_all_gets_an_error_and_a_close(server):
    async with aiohttp.ClientSession() as http:
        for segment in ("a%2Fb", ""):
            async with http.ws_connect(f"{server.ws_base}/ws/runs/{segment}/", origin=server.base) as ws:
                error = json.loads((await receive(ws)).data)
                assert error["type"] == "error"
                await assert_closes(ws, CLOSE_BAD_REQUEST)
