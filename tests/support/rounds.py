"""Rounds of guesses in tests: a Daphne whose channel layer is a real Redis, and the stage's call
that locks a round, made from a process of its own.

    def test_x(rounds_server): ...                       # the fixture (a plugin of tests/conftest.py)
    proc, server = start_rounds_daphne(tmp, demo_api.url, redis_url)
    await lock_round(server, redis_url, code, run_id)   # rounds.round_lock(classroom=, run=) -> "3" or "none"

The stage's endpoint (POST /api/classes/<code>/runs, which calls round_lock in the web process)
is built apart; until then a test calls round_lock itself. It runs in a child process on the
server's database, and its class.round messages reach the server's sockets through Redis, as
they would from any other web process (channels_redis).
"""

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.fuzzing import assert_no_server_errors
from tests.support.servers import ROOT, start_test_daphne, stop

LOCK_TIMEOUT_S = 60  # a child that imports Django on a busy machine: seconds; past this it hangs


def start_rounds_daphne(tmp: Path, demo_url: str, redis_url: str):
    return start_test_daphne(tmp, demo_url, {"REDIS_URL": redis_url})


async def lock_round(server, redis_url: str, code: str, run_id: str) -> str:
    """rounds.round_lock on the class `code` and run `run_id`, in a child process: the round's number or "none"."""
    env = {**os.environ, "PLAYGROUND_DB": str(server.db), "REDIS_URL": redis_url, "PLAYGROUND_STARTUP": "0"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.lockround",
        code,
        run_id,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(LOCK_TIMEOUT_S):
        out, err = await child.communicate()
    assert child.returncode == 0, err.decode()
    return out.decode().strip()


@pytest.fixture(scope="module")
def rounds_server(demo_api, redis_url):
    """A Daphne with a Redis channel layer, one a test module; at its end, no 500 in its log."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-rounds-"))
    proc, srv = start_rounds_daphne(tmp, demo_api.url, redis_url)
    srv.redis = redis_url
    yield srv
    stop(proc)
    assert_no_server_errors(srv.log.read_text())  # every refusal was an answer, never a 500
    shutil.rmtree(tmp, ignore_errors=True)
