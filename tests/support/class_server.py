"""A Daphne for the class tests, with limits small enough to reach in a few calls.

    with small_limits_daphne(demo_api.url, "classes") as server: ...

A class of MAX_LEARNERS; PER_ADDRESS unknown codes from one address, PER_CLASS join attempts into
one class and CREATES classes from one address, counted over WINDOW_S from each count's first
attempt (no count ends while a module runs). Every test's clients come from a loopback address of
their own (classes.fresh_address), so the counts start at zero. On the way out, the server's log
must hold no server error: every refusal was an answer, never a 500.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.fuzzing import assert_no_server_errors
from tests.support.servers import Server, start_test_daphne, stop

MAX_LEARNERS, PER_ADDRESS, PER_CLASS = 4, 6, 8  # PER_ADDRESS: unknown codes looked up
CREATES = 25  # classes started from one address (one test starts 20)
WINDOW_S = 3600


@contextmanager
def small_limits_daphne(demo_url: str, name: str) -> Iterator[Server]:
    tmp = Path(tempfile.mkdtemp(prefix=f"playground-{name}-"))
    limits = {
        "PLAYGROUND_CLASS_MAX_LEARNERS": str(MAX_LEARNERS),
        "PLAYGROUND_CLASS_MISSES_PER_ADDRESS": str(PER_ADDRESS),
        "PLAYGROUND_CLASS_JOINS_PER_CLASS": str(PER_CLASS),
        "PLAYGROUND_CLASS_LIMIT_WINDOW_S": str(WINDOW_S),
        "PLAYGROUND_CLASS_CREATES_PER_ADDRESS": str(CREATES),
    }
    proc, srv = start_test_daphne(tmp, demo_url, limits)
    try:
        yield srv
    finally:
        stop(proc)
    assert_no_server_errors(srv.log.read_text())
    shutil.rmtree(tmp, ignore_errors=True)
