"""Run the demo API in a child process, beside the playground.

    demo_api_url()                         the one URL the playground's runs use
      |- settings.DEMO_API_URL non-empty -> that URL (an API that is already running)
      '- else, once per process           -> DemoApiProcess.start()
           python -m playground.demoapi.server --port 0 --parent-pid <us>
             stdout: "DEMO_API_READY http://127.0.0.1:PORT"  -> .url
             a reader thread keeps draining stdout, so the child never blocks on a pipe
           stopped at exit (atexit), and by itself when we die (--parent-pid)

The demo API lives in its own process so its ~20,000 requests/s never compete with
the playground's event loop for one CPU.
"""

import atexit
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from playground.demoapi.server import READY_PREFIX

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # holds the `playground` package
START_TIMEOUT_S = 10.0  # importing aiohttp and binding takes ~0.3 s; 30x headroom
STOP_GRACE_S = 5.0  # SIGTERM first; SIGKILL a child that has not exited by then
MAX_STDERR_CHARS = 4000  # enough of a traceback to explain a failed start


class DemoApiProcess:
    """A demo API server in a child process; `.url` is its base URL."""

    def __init__(self, proc: subprocess.Popen, stderr: IO[str], url: str, reader: threading.Thread) -> None:
        self.proc = proc
        self.url = url
        self._stderr = stderr
        self._reader = reader

    @classmethod
    def start(
        cls,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = START_TIMEOUT_S,
        *,
        parent_pid: int | None = None,
    ) -> "DemoApiProcess":
        """Launch the server and wait for its ready line; RuntimeError if it never comes.

        The child exits by itself when `parent_pid` (default: this process) is gone.
        """
        if timeout <= 0:
            raise ValueError(f"timeout: must be greater than 0 seconds (got {timeout})")
        watched = os.getpid() if parent_pid is None else parent_pid
        argv = [
            sys.executable,
            "-m",
            "playground.demoapi.server",
            "--host",
            host,
            "--port",
            str(port),
            "--parent-pid",
            str(watched),
        ]
        stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        proc = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=_drain, args=(proc.stdout, lines), name="demoapi-stdout", daemon=True)
        reader.start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            line = why = f"did not print {READY_PREFIX} within {timeout} s"
        else:
            why = "exited before it was ready" if line is None else f"printed {line!r} instead of {READY_PREFIX}"
        if line is None or not line.startswith(READY_PREFIX + " "):
            failed = cls(proc, stderr, "", reader)
            failed._end_child()
            detail = _read_tail(stderr)
            failed._release()
            raise RuntimeError(f"demo API {why}; exit code {proc.returncode}; stderr:\n{detail}")
        return cls(proc, stderr, line.split(" ", 1)[1].strip(), reader)

    def stop(self) -> None:
        """Terminate the child (kill it after STOP_GRACE_S) and release its pipes."""
        self._end_child()
        self._release()

    def _end_child(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join()  # EOF follows the child's exit

    def _release(self) -> None:
        assert self.proc.stdout is not None  # started with stdout=PIPE
        self.proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> "DemoApiProcess":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _drain(stdout: IO[str], lines: queue.Queue) -> None:
    """Hand the first line over, then read (and drop) the rest until EOF."""
    first = stdout.readline()
    lines.put(first.rstrip("\n") if first else None)
    for _ in stdout:
        pass


def _read_tail(stderr: IO[str]) -> str:
    stderr.seek(0)
    return stderr.read()[-MAX_STDERR_CHARS:]


_shared: DemoApiProcess | None = None
_shared_lock = threading.Lock()


def demo_api_url() -> str:
    """The demo API's base URL: settings.DEMO_API_URL, else one child per process."""
    from django.conf import settings

    if settings.DEMO_API_URL:
        return settings.DEMO_API_URL.rstrip("/")
    global _shared
    with _shared_lock:
        if _shared is not None and _shared.proc.poll() is not None:
            _shared.stop()  # it died (killed by hand?): release it, start another
            _shared = None
        if _shared is None:
            _shared = DemoApiProcess.start()
            atexit.unregister(_stop_shared)  # register once, however often we restart
            atexit.register(_stop_shared)
        return _shared.url


def _stop_shared() -> None:
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None
