"""Real servers in subprocesses, on loopback: Daphne serving the playground, and Redis.
Shared by the test fixtures (tests/conftest.py) and the load bench (bench/load.py).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_S = 30  # Daphne imports Django and Twisted: a few seconds on a busy machine
POLL_S = 0.05  # how often a starting server is asked whether it listens yet


@dataclass
class Server:
    base: str
    db: Path
    log: Path
    pid: int

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = START_S) -> None:
    """Return once something listens on `port`; RuntimeError if `proc` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(POLL_S)  # a process we do not control: polling is all there is
    raise RuntimeError(f"server did not listen on port {port} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_daphne(tmp: Path, demo_url: str, env: dict | None = None, db: Path | None = None):
    """Migrate and serve the playground, its log in `tmp`; `db` lets several servers share one."""
    tmp.mkdir(parents=True, exist_ok=True)
    db = db or tmp / "playground.sqlite3"
    env = {
        **os.environ,
        "PLAYGROUND_DB": str(db),
        "PLAYGROUND_DEMO_API_URL": demo_url,
        "PLAYGROUND_STARTUP": "1",
        **(env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server runs as it does in class
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    port, log = free_port(), tmp / "daphne.log"
    daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or "daphne"
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [daphne, "-b", HOST, "-p", str(port), "playground.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, proc)
    except RuntimeError:
        stop(proc)
        raise RuntimeError(f"daphne did not start; its log: {log}") from None
    return proc, Server(f"http://{HOST}:{port}", db, log, proc.pid)


def start_test_daphne(tmp: Path, demo_url: str, extra_env: dict | None = None, db: Path | None = None):
    """A test server: as in class, but a learner may have 20 runs going (tests start many)."""
    return start_daphne(tmp, demo_url, {"PLAYGROUND_MAX_RUNS_PER_VISITOR": "20", **(extra_env or {})}, db)


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    """A throwaway redis-server (Debian's) for several Daphnes to share a channel layer."""
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: `make test` installs Debian's redis-server package"
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, proc)
    return proc, f"redis://{HOST}:{port}/0"
