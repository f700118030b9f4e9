"""Shared by the fuzzing tests: how many examples, quick valid runs, the server log's verdict.

Also a pytest plugin (named in conftest.py): under `make fuzz`, each failed test is listed
at the end with the command that replays it (same seed, same examples).

    make test   profile "ci":   each test's own example count, derandomized
    make fuzz   profile "fuzz": FUZZ_EXAMPLES (default 10,000) per surface, from a random seed
"""

import math
import os
import shlex

from hypothesis import settings

# Examples per surface in `make fuzz`: the spec in-process, raw bodies through Daphne, websocket
# messages, the OpenAPI operations. Each test there takes its CI count's share of it.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))


def fuzzing() -> bool:
    return settings.get_current_profile_name() == "fuzz"


def examples(ci: int, *, surface: int) -> int:
    """`ci` examples in `make test`; in `make fuzz`, this test's share (ci / surface) of FUZZ_EXAMPLES.

    `surface`: the CI examples of every test fuzzing the same surface, this one's included.
    """
    return math.ceil(FUZZ_EXAMPLES * ci / surface) if fuzzing() else ci


def replay_command(nodeid: str, seed) -> str:
    env = f"HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES={FUZZ_EXAMPLES}"
    return f"{env} .venv/bin/python -m pytest {shlex.quote(nodeid)} --hypothesis-seed={seed} -s"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not fuzzing():
        return
    seed = config.getoption("hypothesis_seed")
    failed = terminalreporter.stats.get("failed", []) + terminalreporter.stats.get("error", [])
    terminalreporter.section(f"make fuzz: seed {seed}, {FUZZ_EXAMPLES:,} examples a surface")
    if not failed:
        terminalreporter.write_line("No findings.")
    for report in failed:
        terminalreporter.write_line(f"FINDING {report.nodeid}")
        for line in falsifying_examples(report.longreprtext):
            terminalreporter.write_line(f"  {line}")
        terminalreporter.write_line(f"  replay: {replay_command(report.nodeid, seed)}")


def falsifying_examples(text: str, max_lines: int = 12) -> list[str]:
    """Hypothesis's "Failing test case: ..." blocks (and @reproduce_failure) from a failure's text."""
    lines, out = text.splitlines(), []
    for i, line in enumerate(lines):
        if "Falsifying" in line or "Failing test case" in line or "@reproduce_failure" in line:
            block = []
            for item in lines[i : i + max_lines]:
                block.append(item[:200])
                if item.strip() == ")" or "@reproduce_failure" in item:
                    break
            out += block
    return out or ["(no example: the failure is outside hypothesis; see its output above)"]


SMALL = {
    "requests": 3,
    "latency_ms": 5,
    "jitter_ms": 5,
    "batch_size": 3,
    "workers": 3,
    "limit": 3,
    "retries": 1,
    "block_ms": 5,  # a second of it a request would hold the test server's loop three seconds
}
# At least: 100 a second, three requests take 30 ms; and no timeout fires on a 5 ms request.
FLOORS = {"rate": 100, "timeout_ms": 5_000, "deadline_ms": 5_000}
# Off: a request the API never answers keeps a run going for a minute, and failed requests
# make as_completed log "Task exception was never retrieved" (a strategy's bug, not the input's).
FAILURES = ("failure_rate", "hang_rate", "reset_rate", "server_rate", "server_limit")


def small_run(spec: dict) -> dict:
    """The same valid spec, made quick and failure-free: each 201 starts a real run."""
    spec = {name: value for name, value in spec.items() if name not in FAILURES}
    spec["latency_ms"] = spec.get("latency_ms") or 5
    for name, cap in SMALL.items():
        if spec.get(name) is not None:  # null is "not set"
            spec[name] = min(spec[name], cap)
    for name, floor in FLOORS.items():
        if spec.get(name) is not None:
            spec[name] = max(spec[name], floor)
    if isinstance(spec.get("latencies_ms"), list):
        spec["latencies_ms"] = [min(ms, 5) for ms in spec["latencies_ms"][:3]]
    return spec


def new_log_lines(server, offset: int) -> str:
    with open(server.log, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def assert_no_server_errors(log: str) -> None:
    """No traceback, no 500 in the server's log (Daphne's access lines read `"POST /api/runs" 500 145`)."""
    for mark in ("Traceback", "Internal Server Error", "Exception inside application", '" 500 '):
        at = log.find(mark)
        assert at < 0, log[max(0, at - 1_000) : at + 4_000]
