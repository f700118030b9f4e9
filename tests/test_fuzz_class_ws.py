"""Property-based tests of the class websocket: any message, any code gets an answer.

    message (hypothesis) --> {"type": "pong"} for a ping, else {"type": "error"} naming it and close 4400
    code in the path     --> class.hello for the class's own code (any case, dash or not), else an error
                             and close 4400 (not a code) or 4404 (no such class)

Each example opens the teacher's socket on the module's own Daphne, so a refusal is never a
stranger's 4403. Derandomized in `make test`; `make fuzz` runs FUZZ_EXAMPLES of them.
"""

import asyncio
import json
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.classes.codes import ALPHABET, CodeInvalid, code_normal
from playground.classes.consumers import CLOSE_BAD_REQUEST, CLOSE_NOT_FOUND, MAX_MESSAGE_BYTES
from tests.support.classes import Browser
from tests.support.fuzzing import assert_no_server_errors, examples
from tests.support.servers import start_test_daphne, stop

RECEIVE_TIMEOUT_S = 5
MESSAGE_EXAMPLES = examples(200, surface=350)
CODE_EXAMPLES = examples(150, surface=350)
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
TYPES = st.sampled_from(["ping", "PING", "pong", "class.roster", "class.removed", "", None, 1]) | TEXT
MESSAGES = (
    st.builds(lambda kind, extra: json.dumps({**extra, "type": kind}), TYPES, st.dictionaries(TEXT, JSON_VALUES))
    | JSON_VALUES.map(json.dumps)
    | TEXT
    | st.binary(max_size=32)
    | st.integers(MAX_MESSAGE_BYTES - 2, MAX_MESSAGE_BYTES + 2).map(lambda n: '{"type": "ping"}'.ljust(n))
    | st.integers(1, 600).map(lambda n: "[" * n + "]" * n)
)


def near_codes(code: str):
    """The class's code typed any way, a code one symbol off, or anything at all."""
    symbols = st.sampled_from(ALPHABET)
    return (
        st.builds(
            lambda lower, dash: (code.lower() if lower else code).replace("-", "" if dash else "-"),
            *[st.booleans()] * 2,
        )
        | st.builds(lambda i, s: code[:i] + s + code[i + 1 :], st.integers(0, len(code) - 1), symbols)
        | st.text(ALPHABET + "-01IOio ", max_size=12)
        | TEXT
    )


@pytest.fixture(scope="module")
def server(demo_api):
    tmp = Path(tempfile.mkdtemp(prefix="playground-class-fuzz-"))
    proc, srv = start_test_daphne(tmp, demo_api.url)
    yield srv
    stop(proc)
    assert_no_server_errors(srv.log.read_text())
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def teacher(server):
    """A teacher's browser and its class's code, on one event loop for every example."""
    with asyncio.Runner() as runner:
        browser = Browser(server)
        runner.run(browser.__aenter__())
        try:
            code = runner.run(browser.create_class())["code"]
            yield runner, browser, code
        finally:
            runner.run(browser.__aexit__(None, None, None))


async def first_reply(ws) -> dict:
    msg = await ws.receive(timeout=RECEIVE_TIMEOUT_S)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def assert_closes(ws, code: int) -> None:
    msg = await ws.receive(timeout=RECEIVE_TIMEOUT_S)
    assert msg.type in CLOSED, msg
    assert (msg.data if msg.type == aiohttp.WSMsgType.CLOSE else ws.close_code) == code


def expected(message: str | bytes) -> str:
    if isinstance(message, bytes) or len(message) > MAX_MESSAGE_BYTES:
        return "error"
    try:
        data = json.loads(message)
    except (ValueError, RecursionError):
        return "error"
    return "pong" if isinstance(data, dict) and data.get("type") == "ping" else "error"


def test_any_message_gets_a_pong_or_an_error_and_a_close(teacher):
    runner, browser, code = teacher
    seen = {"pong": 0, "error": 0}

    async def exchange(message):
        async with await browser.socket(code) as ws:
            assert (await first_reply(ws))["type"] == "class.hello"
            assert (await first_reply(ws))["type"] == "class.roster"
            await (ws.send_bytes(message) if isinstance(message, bytes) else ws.send_str(message))
            reply = await first_reply(ws)
            if reply["type"] == "error":
                assert reply["error"], reply
                await assert_closes(ws, CLOSE_BAD_REQUEST)
            return reply["type"]

    @settings(FUZZ_SETTINGS, max_examples=MESSAGE_EXAMPLES)
    @given(message=MESSAGES)
    def check(message):
        got = runner.run(exchange(message))
        assert got == expected(message), (message, got)
        seen[got] += 1

    check()
    assert seen["pong"] and seen["error"], seen  # both answers were reached


def test_any_code_gets_its_class_or_an_error_and_a_close(teacher):
    runner, browser, code = teacher
    seen = {"hello": 0, CLOSE_BAD_REQUEST: 0, CLOSE_NOT_FOUND: 0}

    async def connect(path_code: str):
        url = f"{browser.server.ws_base}/ws/classes/{quote(path_code, safe='')}/"
        async with browser.http.ws_connect(url, origin=browser.server.base) as ws:
            reply = await first_reply(ws)
            if reply["type"] == "class.hello":
                assert reply["class"]["code"] == code
                return "hello"
            assert reply["type"] == "error" and reply["error"], reply
            closed = await ws.receive(timeout=RECEIVE_TIMEOUT_S)
            assert closed.type in CLOSED
            return closed.data if closed.type == aiohttp.WSMsgType.CLOSE else ws.close_code

    def outcome(path_code: str):
        try:
            normal = code_normal(path_code)
        except CodeInvalid:
            return CLOSE_BAD_REQUEST
        return "hello" if normal == code.replace("-", "") else CLOSE_NOT_FOUND

    @settings(FUZZ_SETTINGS, max_examples=CODE_EXAMPLES)
    @given(path_code=near_codes(code))
    def check(path_code):
        got = runner.run(connect(path_code))
        assert got == outcome(path_code), (path_code, got)
        seen[got] += 1

    check()
    assert all(seen.values()), seen
