"""Real servers in subprocesses, on loopback: Daphne serving the playground (alone, or beside the
demo API and runs workers under supervisord as `make run` does), runs workers, Redis and PostgreSQL.
Shared by the test fixtures (tests/conftest.py) and the benches (bench/load.py, bench/gather_vs_plain.py).
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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
    demo: str = ""  # the demo API's URL the playground's runs use

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
    return proc, Server(f"http://{HOST}:{port}", db, log, proc.pid, demo_url)


def start_test_daphne(tmp: Path, demo_url: str, extra_env: dict | None = None, db: Path | None = None):
    """A test server: as in class, but a learner may have 20 runs going (tests start many), and the
    class limits per address are out of the way: every test client is 127.0.0.1, and a fuzzer's
    unknown codes would soon have the whole suite refused (test_classes.py sets small ones)."""
    unlimited = {"PLAYGROUND_CLASS_MISSES_PER_ADDRESS": "1000000", "PLAYGROUND_CLASS_CREATES_PER_ADDRESS": "1000000"}
    env = {"PLAYGROUND_MAX_RUNS_PER_VISITOR": "20", **unlimited, **(extra_env or {})}
    return start_daphne(tmp, demo_url, env, db)


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


@dataclass
class Postgres:
    proc: subprocess.Popen  # the postmaster itself: stop_postgres signals it
    home: Path  # its data directory and socket, removed by stop_postgres
    log: Path


PG_USER = "postgres"  # the superuser initdb makes; as root, also the OS user that runs the server
PG_DB = "playground"
PG_SETTINGS = {  # a throwaway server: loopback only, no durability (a crash loses nothing worth keeping)
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def postgres_bindir() -> Path:
    """Debian's newest PostgreSQL: /usr/lib/postgresql/<version>/bin."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    assert found, "PostgreSQL is missing: `make test` installs Debian's postgresql package"
    return found[-1].parent


def _as_postgres_user(home: Path) -> dict:
    """initdb and postgres refuse to run as root: then they run as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam(PG_USER)
    except KeyError:
        raise RuntimeError(f"as root, postgres runs as the OS user {PG_USER!r}: Debian's postgresql makes it") from None
    os.chown(home, user.pw_uid, user.pw_gid)
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _wait_accepting(bindir: Path, port: int, proc: subprocess.Popen) -> None:
    """A listening postmaster still says "starting up" for a moment: ask it with pg_isready."""
    ready = [str(bindir / "pg_isready"), "-q", "-h", HOST, "-p", str(port), "-U", PG_USER]
    deadline = time.monotonic() + START_S
    while proc.poll() is None and time.monotonic() < deadline:
        if subprocess.run(ready).returncode == 0:
            return
        time.sleep(POLL_S)  # a process we do not control: polling is all there is
    raise RuntimeError(f"postgres did not accept connections on port {port} (exit code {proc.poll()})")


def start_postgres(tmp: Path) -> tuple[Postgres, str]:
    """A throwaway PostgreSQL (Debian's) with one empty database; its log in `tmp`. Returns it and its DATABASE_URL."""
    bindir = postgres_bindir()
    # Its own directory in the temp directory: the `postgres` user cannot enter `tmp` under a root-only parent.
    home = Path(tempfile.mkdtemp(prefix="playground-pg-"))
    as_user = {**_as_postgres_user(home), "cwd": home}
    data, log, port = home / "data", tmp / "postgres.log", free_port()
    init = [str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "--no-locale", "-E", "UTF8"]
    done = subprocess.run(init, capture_output=True, text=True, **as_user)
    if done.returncode:
        shutil.rmtree(home, ignore_errors=True)
        raise RuntimeError(f"initdb failed with code {done.returncode}:\n{done.stdout}{done.stderr}")
    settings = {**PG_SETTINGS, "port": str(port), "unix_socket_directories": str(home)}
    options = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), *options], stdout=out, stderr=subprocess.STDOUT, **as_user
        )
    server = Postgres(proc, home, log)
    try:
        _wait_accepting(bindir, port, proc)
        create = [str(bindir / "createdb"), "-h", HOST, "-p", str(port), "-U", PG_USER, PG_DB]
        done = subprocess.run(create, capture_output=True, text=True, **as_user)
        if done.returncode:
            raise RuntimeError(f"createdb failed with code {done.returncode}: {done.stderr.strip()}")
    except RuntimeError as e:
        stop_postgres(server)
        raise RuntimeError(f"postgres did not start ({e}); its log, {log}:\n{log.read_text()[-4000:]}") from None
    return server, f"postgres://{PG_USER}@{HOST}:{port}/{PG_DB}"


def stop_postgres(server: Postgres) -> None:
    """Immediate shutdown (SIGQUIT: nothing here is worth a checkpoint), then its directory goes."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGQUIT)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
    shutil.rmtree(server.home, ignore_errors=True)


def start_worker(tmp: Path, demo_url: str, env: dict | None = None, db: Path | None = None, name: str = "worker"):
    """A `manage.py runs_worker` process on the same database as a Daphne; returns it once it is ready."""
    env = {
        **os.environ,
        "PLAYGROUND_DB": str(db or tmp / "playground.sqlite3"),
        "PLAYGROUND_DEMO_API_URL": demo_url,
        **(env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tmp / f"{name}.log"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runs_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()

    def copy_to_log():  # all its output goes to the log; its ready line (or its end) opens the gate
        with open(log, "w") as out, proc.stdout:
            for text in proc.stdout:
                out.write(text)
                out.flush()
                if "ready" in text:
                    ready.set()
        ready.set()

    threading.Thread(target=copy_to_log, name=f"{name}-log", daemon=True).start()
    if not ready.wait(START_S) or proc.poll() is not None:
        stop(proc)
        raise RuntimeError(f"the worker did not start; its log: {log.read_text()[-2000:]}")
    return proc


def start_playground(tmp: Path, workers: int = 1, env: dict | None = None) -> tuple[subprocess.Popen, Server]:
    """The playground as `make run` serves it: supervisord with Daphne, the demo API and `workers` workers."""
    tmp.mkdir(parents=True, exist_ok=True)
    db, port, demo_port, log = tmp / "playground.sqlite3", free_port(), free_port(), tmp / "supervisord.log"
    env = {
        **os.environ,
        "PLAYGROUND_DB": str(db),
        "HOST": HOST,
        "PORT": str(port),
        "DEMO_PORT": str(demo_port),
        "PLAYGROUND_WORKERS": str(workers),
        "PLAYGROUND_BIN": str(Path(sys.executable).parent),
        "PLAYGROUND_RUNS_IN_WEB_PROCESS": "0",
        **(env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("PLAYGROUND_STARTUP", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    supervisord = Path(sys.executable).parent / "supervisord"
    argv = [str(supervisord), "-c", "playground/supervisord.conf", "-j", str(tmp / "s.pid"), "-q", str(tmp)]
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        wait_for_port(demo_port, proc)
    except RuntimeError:
        stop(proc)
        raise RuntimeError(f"make run's processes did not start; the log: {log.read_text()[-2000:]}") from None
    return proc, Server(f"http://{HOST}:{port}", db, log, proc.pid, f"http://{HOST}:{demo_port}")
