"""Each strategy's defining property, measured against the real demo API."""
import ast
import inspect
import sys
import textwrap
from pathlib import Path

import pytest

from playground.strategies import STRATEGIES
from tests.helpers import bars, run_spec

# Wall-time bounds are generous upwards (a shared, noisy machine) and tight
# downwards: a strategy can never beat its own ideal.
SLACK_S = 0.35


def wall(outcome) -> float:
    return outcome.summary["wall_s"]


async def test_gather_takes_the_longest_latency(demo_api):
    outcome, _ = await run_spec({"strategy": "gather", "latencies_ms": [300, 500, 200]}, demo_api.url)
    assert outcome.status == "finished"
    assert 0.5 <= wall(outcome) < 0.5 + SLACK_S
    assert outcome.summary["max_in_flight"] == 3
    assert outcome.summary["ideal_s"] == 0.5


async def test_sequential_takes_the_sum(demo_api):
    outcome, evts = await run_spec({"strategy": "sequential", "latencies_ms": [300, 500, 200]}, demo_api.url)
    assert 1.0 <= wall(outcome) < 1.0 + SLACK_S
    assert outcome.summary["max_in_flight"] == 1
    spans = bars(evts)
    # Each request starts only after the previous one finished.
    for i in (1, 2):
        assert spans[(i, 1)]["start"] >= spans[(i - 1, 1)]["end"]


async def test_semaphore_runs_in_waves_of_limit(demo_api):
    outcome, evts = await run_spec(
        {"strategy": "semaphore", "requests": 6, "latency_ms": 200, "limit": 2}, demo_api.url)
    assert 0.6 <= wall(outcome) < 0.6 + SLACK_S
    assert outcome.summary["max_in_flight"] == 2
    assert outcome.summary["ideal_s"] == pytest.approx(0.6)
    waiting = [e for e in evts if e["type"] == "task.waiting"]
    assert sorted(e["task"] for e in waiting) == list(range(6))
    assert {e["reason"] for e in waiting} == {"semaphore"}


async def test_events_are_numbered_without_gaps(demo_api):
    _, evts = await run_spec({"strategy": "gather", "requests": 50, "latency_ms": 10}, demo_api.url)
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    assert evts[0]["type"] == "run.started" and evts[-1]["type"] == "run.finished"
    assert all(b["status"] == "ok" for b in bars(evts).values())
    times = [e["t"] for e in evts]
    assert times == sorted(times)


async def test_gather_failure_raises_and_leftovers_end_truthfully(demo_api):
    # Seed 1 with failure_rate 0.3 fails some of these; the others are slower.
    outcome, evts = await run_spec(
        {"strategy": "gather", "requests": 20, "latency_ms": 100, "jitter_ms": 80,
         "failure_rate": 0.3, "seed": 1}, demo_api.url)
    assert outcome.status == "failed"
    assert "ClientResponseError" in outcome.error
    spans = bars(evts)
    assert len(spans) == 20
    assert all(b["end"] is not None for b in spans.values()), "every bar must end"
    statuses = {b["status"] for b in spans.values()}
    assert "error" in statuses
    assert statuses <= {"ok", "error", "cancelled"}


async def test_gather_return_exceptions_keeps_errors_as_data(demo_api):
    outcome, evts = await run_spec(
        {"strategy": "gather", "requests": 20, "latency_ms": 50, "failure_rate": 0.3, "seed": 1,
         "return_exceptions": True}, demo_api.url)
    assert outcome.status == "finished"
    counts = outcome.summary["counts"]
    assert counts["error"] > 0 and counts["ok"] > 0 and counts["error"] + counts["ok"] == 20
    assert all(e["http_status"] in (200, 500) for e in evts if e["type"] == "task.finished")


async def test_connector_limit_is_stated_not_defaulted(demo_api):
    # aiohttp's default connector limit is 100: 150 requests must all be in flight at once.
    outcome, _ = await run_spec({"strategy": "gather", "requests": 150, "latency_ms": 300}, demo_api.url)
    assert outcome.summary["max_in_flight"] == 150
    assert wall(outcome) < 0.3 + 1.0


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_shown_source_is_the_function_that_runs(name, demo_api):
    """The page shows `strategy.source`; prove it compiles to the code object that runs."""
    import asyncio

    strategy = STRATEGIES[name]
    code = strategy.fn.__code__
    # The shown text parses to the same tree as the function defined in the file
    # and at the line the running code object was compiled from.
    shown = ast.parse(textwrap.dedent(strategy.source)).body[0]
    module = ast.parse(Path(code.co_filename).read_text())
    in_file = next(node for node in ast.walk(module)
                   if isinstance(node, ast.AsyncFunctionDef) and node.lineno == code.co_firstlineno)
    assert ast.dump(shown) == ast.dump(in_file)
    assert code.co_filename == inspect.getsourcefile(strategy.fn)

    called = set()

    def profiler(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    spec = {"strategy": name, "requests": 3, "latency_ms": 5, "limit": 2}
    sys.setprofile(profiler)
    try:
        asyncio.run(run_spec(spec, demo_api.url))
    finally:
        sys.setprofile(None)
    assert strategy.fn.__code__ in called
