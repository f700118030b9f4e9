"""The standard library's own HTTP server (`python -m http.server`), as a real allowed target.

    proc, url = start_stdlib_http(directory)   # ThreadingHTTPServer on a free loopback port
    ... url + "/hello.txt" ...
    stop_stdlib_http(proc)

Its listen backlog is socketserver's request_queue_size: 5. Many connections opened at
once overflow it, and the kernel drops their SYN until the client retries a second later.
"""

import subprocess
import sys
from pathlib import Path

from tests.support.servers import stop


def start_stdlib_http(directory: Path) -> tuple[subprocess.Popen, str]:
    """Serve `directory` on 127.0.0.1, a free port; (process, base URL) once it listens."""
    argv = [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(directory)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 43567 (http://...) ...", once bound
    if " port " not in line:
        proc.kill()
        raise RuntimeError(f"http.server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split(' port ')[1].split()[0])}"


def stop_stdlib_http(proc: subprocess.Popen) -> None:
    stop(proc)
    if proc.stdout is not None:
        proc.stdout.close()
