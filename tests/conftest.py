"""Shared fixtures: the real demo API and a real Daphne server, each in a subprocess; hypothesis profiles.

demo_api  (session)  playground.demoapi.server on a free loopback port
server    (session)  Daphne serving playground.asgi on a free port, its own SQLite file,
                     pointed at demo_api
httpbin   (session)  httpbin (PyPI) under gunicorn on a free loopback port: a real third-party target
redis_url (session)     the URL of a throwaway redis-server (Debian's)
postgres_url (session)  the DATABASE_URL of a throwaway PostgreSQL server (Debian's) with one empty database
rounds_server (module)  a Daphne with redis_url as its channel layer (tests/support/rounds.py)
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.httpbin import start_httpbin
from tests.support.servers import ROOT, start_postgres, start_redis, start_test_daphne, stop, stop_postgres

pytest_plugins = [
    "tests.support.browser",  # the `page` fixture: Debian's Chromium through Playwright
    "tests.support.classbrowser",  # the `browser` fixture of the class's tests: a page (context) each
    "tests.support.fuzzing",  # under `make fuzz`, each failure's replay command
    "tests.support.rounds",  # `rounds_server`: a Daphne with a Redis channel layer, one a test module
]

# `make test` cannot flake: every property-based and schema-based test draws the same examples
# each run (a seed from the test's own code) and keeps no example database between runs.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
# `make fuzz`: random examples from the seed pytest is given (--hypothesis-seed), many more of
# them (FUZZ_EXAMPLES, see tests/support/fuzzing.py); a failure prints how to replay it.
settings.register_profile("fuzz", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Playwright's loop and the ORM share a thread in the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Importing playground.asgi in tests must not start a second demo API.
os.environ.setdefault("PLAYGROUND_STARTUP", "0")
# Runs execute in the process that queued them (the same Worker, in its event loop): this
# one, and the Daphnes tests start, which inherit it; tests of worker processes set it to 0.
os.environ.setdefault("PLAYGROUND_RUNS_IN_WEB_PROCESS", "1")

OUTPUT = ROOT / "test-output"


@pytest.fixture(scope="session")
def demo_api():
    from playground.demoapi.process import DemoApiProcess

    process = DemoApiProcess.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _use_demo_api(request, settings):
    """Runs made in-process hit the session's demo API, executed in this process (settings
    were read before this module set PLAYGROUND_RUNS_IN_WEB_PROCESS for the subprocesses)."""
    settings.RUNS_IN_WEB_PROCESS = True
    if "demo_api" in request.fixturenames or request.node.get_closest_marker("demo_api"):
        settings.DEMO_API_URL = request.getfixturevalue("demo_api").url


@pytest.fixture(scope="session")
def server(demo_api):
    """A real Daphne serving the playground, with its own file-backed database."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-server-"))
    proc, srv = start_test_daphne(tmp, demo_api.url)
    yield srv
    stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def httpbin():
    """httpbin under gunicorn: a server the playground was not written for."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-httpbin-"))
    server = start_httpbin(tmp)
    yield server
    stop(server.proc)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url():
    """A real redis-server (Debian's) for the whole session."""
    with tempfile.TemporaryDirectory(prefix="playground-redis-") as tmp:
        proc, url = start_redis(Path(tmp))
        yield url
        stop(proc)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for the whole session; tests that use it migrate it themselves."""
    with tempfile.TemporaryDirectory(prefix="playground-postgres-") as tmp:
        server, url = start_postgres(Path(tmp))
        yield url
        stop_postgres(server)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture
async def outside():
    """A server on another loopback address, off every allowlist: it must never be contacted."""
    from aiohttp import web

    from tests.support.recording import Recording

    async def ok(request):
        return web.json_response({"ok": 1})

    server = await Recording("127.0.0.2").start([web.get("/ok", ok)])
    yield server
    await server.close()
