"""Shared fixtures: the real demo API and a real Daphne server, each in a subprocess.

    demo_api  (session)  playground.demoapi.server on a free loopback port
    server    (session)  Daphne serving playground.asgi on a free port, its own SQLite file,
                         pointed at demo_api
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest_plugins = ["tests.browser"]  # the `page` fixture: Debian's Chromium through Playwright

# Playwright's loop and the ORM share a thread in the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Importing playground.asgi in tests must not start a second demo API.
os.environ.setdefault("PLAYGROUND_STARTUP", "0")

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
SERVER_START_S = 30  # Daphne imports Django and Twisted: a few seconds on a busy machine


@pytest.fixture(scope="session")
def demo_api():
    from playground.demoapi.process import DemoApiProcess

    process = DemoApiProcess.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def _use_demo_api(request, settings):
    """Runs made in-process hit the session's demo API."""
    if "demo_api" in request.fixturenames or request.node.get_closest_marker("demo_api"):
        settings.DEMO_API_URL = request.getfixturevalue("demo_api").url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {timeout} s")


class Server:
    def __init__(self, base: str, db: Path, log: Path):
        self.base, self.db, self.log = base, db, log
        self.ws_base = base.replace("http://", "ws://")


def start_daphne(tmp: Path, demo_url: str, extra_env: dict | None = None, db: Path | None = None):
    """Migrate and serve the playground from `tmp`; `db` lets several servers share a database."""
    db = db or tmp / "playground.sqlite3"
    env = {**os.environ, "PLAYGROUND_DB": str(db), "PLAYGROUND_DEMO_API_URL": demo_url,
           "PLAYGROUND_STARTUP": "1", "PLAYGROUND_MAX_RUNS_PER_VISITOR": "20", **(extra_env or {})}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)
    port = free_port()
    log = tmp / "daphne.log"
    daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or "daphne"
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([daphne, "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, proc, SERVER_START_S)
    return proc, Server(f"http://127.0.0.1:{port}", db, log)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server(demo_api):
    """A real Daphne serving the playground, with its own file-backed database."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-server-"))
    proc, srv = start_daphne(tmp, demo_api.url)
    yield srv
    stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT
