"""Shared by the fuzzing tests: quick valid runs, and the server log's verdict."""

SMALL = {"requests": 3, "latency_ms": 5, "jitter_ms": 5, "batch_size": 3, "workers": 3, "limit": 3, "retries": 1}
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
