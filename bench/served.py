"""The playground served for bench/load.py, and what its servers did.

    make_run      as `make run` serves it: supervisord, Daphne, the demo API, WORKERS workers
    scale_out     PostgreSQL + Redis, SCALE_OUT Daphnes and SCALE_OUT workers, the demo API
    cpu_seconds   a server process's CPU seconds, its children's included (Linux /proc)
    log_findings  tracebacks and rejected websockets in a server's log

Loopback only: HOST (tests/support/servers.py) is 127.0.0.1, a load script must never point at anyone else's machine.
Imported as bench.served, with the repository's root on sys.path (bench/load.py puts it there).
"""

import math
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import servers
from tests.support.servers import HOST, Server, stop

WORKERS = max(1, (os.cpu_count() or 2) - 1)  # `make run`'s default: one per core less one, at least one
SCALE_OUT = 2  # Daphnes, and workers, with --scale-out


@dataclass
class Served:
    posts: list[Server]  # learner k posts to posts[k % len]
    watches: list[Server]  # ... and watches through watches[k % len]
    processes: dict[str, int]  # name -> pid, for the CPU figures
    logs: list[Path]


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            pass  # a process that ended while we looked is not a child any more
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and all its descendants, live or ended (Linux /proc; NaN once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return own + sum(cpu_seconds(child) for child in children(pid))


def process_name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    for word, name in ((b"daphne", "Daphne"), (b"demoapi", "demo API"), (b"runs_worker", "worker")):
        if any(word in arg for arg in argv):
            return name
    return Path(argv[0].decode()).name


@contextmanager
def make_run(tmp: Path) -> Iterator[Served]:
    """The playground as `make run` serves it: supervisord, Daphne, the demo API, WORKERS workers."""
    proc, srv = servers.start_playground(tmp, workers=WORKERS)
    try:
        names = Counter[str]()
        processes = {}
        for pid in sorted(children(proc.pid)):
            name = process_name(pid)
            names[name] += 1
            processes[f"{name} {names[name]}" if name == "worker" else name] = pid
        yield Served([srv], [srv], processes, [srv.log])
    finally:
        stop(proc)


@contextmanager
def scale_out(tmp: Path) -> Iterator[Served]:
    """PostgreSQL + Redis, SCALE_OUT Daphnes and SCALE_OUT workers, the demo API beside them."""
    from playground.demoapi.process import DemoApiProcess

    with ExitStack() as stack:
        pg, database_url = servers.start_postgres(tmp)
        stack.callback(servers.stop_postgres, pg)
        redis, redis_url = servers.start_redis(tmp)
        stack.callback(stop, redis)
        demo = stack.enter_context(DemoApiProcess.start(host=HOST))
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PLAYGROUND_RUNS_IN_WEB_PROCESS": "0"}
        processes = {"PostgreSQL": pg.proc.pid, "Redis": redis.pid, "demo API": demo.proc.pid}
        daphnes, logs = [], [pg.log]
        for k in range(1, SCALE_OUT + 1):
            proc, srv = servers.start_daphne(tmp / f"daphne-{k}", demo.url, env)
            stack.callback(stop, proc)
            daphnes.append(srv)
            processes[f"Daphne {k}"] = proc.pid
            logs.append(srv.log)
        for k in range(1, SCALE_OUT + 1):
            proc = servers.start_worker(tmp, demo.url, env, name=f"worker-{k}")
            stack.callback(stop, proc)
            processes[f"worker {k}"] = proc.pid
            logs.append(tmp / f"worker-{k}.log")
        # Learners 0, 1 watch where they posted; 2, 3 through the other Daphne; and so on.
        yield Served(daphnes, daphnes[:] + daphnes[::-1], processes, logs)


def log_findings(log: Path) -> str:
    """Tracebacks and rejected websockets in a server's log."""
    lines = log.read_text(errors="replace").splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("Traceback")]
    found = [f"{n} WSREJECT" for n in [sum('"WSREJECT' in line for line in lines)] if n]
    if starts:
        end = next((x for x in lines[starts[0] + 1 :] if x and not x[0].isspace()), "?")
        found.append(f"{len(starts)} tracebacks, the first ends: {end[:160]}")
    return f"{log.name}: {'; '.join(found)}" if found else ""


def finish(served: Served, tmp: Path, began: float, code: int) -> None:
    """The bench's last lines: how long it took, what the servers' logs hold; the logs kept only when
    something failed. Exits with `code`."""
    findings = "; ".join(f for f in map(log_findings, served.logs) if f)
    print(f"took {time.monotonic() - began:.0f} s" + (f"; in the logs: {findings}" if findings else ""))
    if code or findings:
        print(f"logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(code)
