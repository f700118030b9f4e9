"""httpbin (the PyPI package), served by gunicorn in a subprocess on a free loopback port:
a real third-party HTTP server the playground knows nothing about.

    httpbin = start_httpbin(tmp)     ... httpbin.url("/get") ... httpbin.hits("/get")
    stop(httpbin.proc)

Useful answers: /get (JSON), /html (a 200 that is not JSON), /status/429, /status/500,
/delay/<seconds> (fractions allowed), /redirect-to?url=<anywhere>.
"""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import HOST, free_port, stop, wait_for_port

# Threads, not processes: /delay sleeps in its thread, so this many requests can wait
# at once; a test gathers at most a dozen.
THREADS = 32


@dataclass
class Httpbin:
    base: str
    log: Path  # gunicorn's access log: one line per request it answered
    proc: subprocess.Popen

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        """How many requests for `path` (query string aside) httpbin has answered so far."""
        return sum(f'"GET {path}?' in line or f'"GET {path} ' in line for line in self.log.read_text().splitlines())


def start_httpbin(tmp: Path) -> Httpbin:
    tmp.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), tmp / "httpbin-access.log"
    log.touch()
    command = [sys.executable, "-m", "gunicorn", "httpbin:app", "--bind", f"{HOST}:{port}"]
    command += ["--worker-class", "gthread", "--workers", "1", "--threads", str(THREADS)]
    command += ["--access-logfile", str(log), "--graceful-timeout", "1"]
    with open(tmp / "httpbin.log", "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
    except RuntimeError:
        stop(proc)
        raise RuntimeError(f"httpbin did not start; its log: {tmp / 'httpbin.log'}") from None
    return Httpbin(f"http://{HOST}:{port}", log, proc)
