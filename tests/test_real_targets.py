"""The catalog on a real third-party server: every strategy and every guard against httpbin
(PyPI, under gunicorn), allowed the way a teacher allows it (PLAYGROUND_TARGETS).

Nothing here may read a field only the demo API sends; httpbin's 429, 500 and slow answers
must come out as data (a finished task with its status), never as a crash.
"""

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from playground.runs.targets import configured_targets
from playground.strategies import STRATEGIES
from tests.support.demoapi import until
from tests.support.runs import of_type, run_spec
from tests.support.servers import start_test_daphne, stop
from tests.support.wsclient import collect_run, start_run

SLACK_S = 1.5  # upper bounds on a shared 2-core machine: generous; lower bounds are exact
DELAY_S = 0.3  # httpbin's /delay/0.3 answers after this long
N = 4
# Each strategy's parameters, and the least wall time its shape allows for N requests of
# DELAY_S each (limits of 2: two waves; a rate of 4 a second: the last starts at 0.75 s).
CATALOG = {
    "sequential": ({}, N * DELAY_S),
    "gather": ({}, DELAY_S),
    "semaphore": ({"limit": 2}, 2 * DELAY_S),
    "as_completed": ({}, DELAY_S),
    "taskgroup": ({}, DELAY_S),
    "batches": ({"batch_size": 2}, 2 * DELAY_S),
    "workers": ({"workers": 2}, 2 * DELAY_S),
    "pool": ({"limit": 2}, 2 * DELAY_S),
    "rate_limit": ({"rate": 4}, (N - 1) / 4 + DELAY_S),
    "timeout": ({"timeout_ms": 5000}, DELAY_S),
    "retry": ({"retries": 2}, DELAY_S),
    "blocking": ({}, N * DELAY_S),  # gathered, but each request holds the loop: one after another
    "to_thread": ({}, DELAY_S),  # N is within the default thread pool
    "threads": ({"workers": 2}, 2 * DELAY_S),
}
# Strategies that keep going after a failed request (gather with return_exceptions=True).
CARRY_ON = {"timeout"}
PATHS = {
    "get": "/get",
    "slow": f"/delay/{DELAY_S}",
    "html": "/html",
    "429": "/status/429",
    "500": "/status/500",
    "hang": "/delay/3",
}


def test_the_catalog_is_covered():
    assert set(CATALOG) == set(STRATEGIES)


@pytest.fixture
def targets(settings, httpbin, demo_api):
    """httpbin's answers as the teacher's allowed targets, as a run's executor sees them."""
    settings.PLAYGROUND_TARGETS = [{"name": name, "url": httpbin.url(path)} for name, path in PATHS.items()]
    return configured_targets()


async def run_on(targets, name, spec):
    """Run `spec` against the allowed target `name`, within the whole allowlist."""
    spec = {"requests": N, **spec}
    return await run_spec(spec, "unused", target=targets[name], allowed=list(targets.values()))


def wall(outcome) -> float:
    return outcome.summary["wall_s"]


def finished(evts) -> list[dict]:
    return of_type(evts, "task.finished")


@pytest.mark.parametrize("name", CATALOG)
async def test_every_strategy_runs_on_httpbin(targets, httpbin, name):
    params, least_s = CATALOG[name]
    before = httpbin.hits(PATHS["slow"])
    outcome, evts = await run_on(targets, "slow", {"strategy": name, **params})
    assert (outcome.status, outcome.error) == ("finished", None)
    assert outcome.summary["counts"]["ok"] == N
    assert [(e["status"], e["http_status"]) for e in finished(evts)] == [("ok", 200)] * N
    assert least_s <= wall(outcome) < least_s + SLACK_S
    await until(lambda: httpbin.hits(PATHS["slow"]) >= before + N)
    assert httpbin.hits(PATHS["slow"]) == before + N, "one request each, no more"


@pytest.mark.parametrize("name", CATALOG)
async def test_a_200_that_is_not_json_is_an_answer(targets, name):
    params, _ = CATALOG[name]
    outcome, evts = await run_on(targets, "html", {"strategy": name, **params})
    assert (outcome.status, outcome.summary["counts"]["ok"]) == ("finished", N)
    assert {e["error"] for e in finished(evts)} == {None}


@pytest.mark.parametrize("answer", ["429", "500"])
@pytest.mark.parametrize("name", CATALOG)
async def test_error_answers_are_data_under_every_strategy(targets, name, answer):
    params, _ = CATALOG[name]
    outcome, evts = await run_on(targets, answer, {"strategy": name, **params})
    # httpbin's answer on each request it answered; requests the strategy gave up on
    # after the first failure end cancelled (the executor cancels what was left running).
    raised = "HTTPError" if STRATEGIES[name].blocking_client else "ClientResponseError"  # urllib's, aiohttp's
    answered = {("error", int(answer), raised)}
    ends = {(e["status"], e["http_status"], e["error"]) for e in finished(evts)}
    assert answered <= ends <= answered | {("cancelled", None, "CancelledError")}
    if name in CARRY_ON:
        assert (outcome.status, outcome.error) == ("finished", None)
        assert outcome.summary["counts"]["error"] == N
    else:  # the first failure ends the strategy: truthfully, with httpbin's answer as the reason
        assert outcome.status == "failed"
        assert raised in outcome.error and answer in outcome.error
    assert outcome.summary["counts"]["error"] >= 1
    assert sum(outcome.summary["counts"].values()) == N


async def test_limit_guard_on_httpbin(targets):
    outcome, evts = await run_on(targets, "slow", {"strategy": "as_completed", "limit": 2})
    assert outcome.status == "finished" and outcome.summary["counts"]["ok"] == N
    assert outcome.summary["max_in_flight"] == 2
    assert 2 * DELAY_S <= wall(outcome) < 2 * DELAY_S + SLACK_S


async def test_rate_guard_on_httpbin(targets):
    outcome, evts = await run_on(targets, "get", {"strategy": "gather", "rate": 4})
    assert outcome.status == "finished" and outcome.summary["counts"]["ok"] == N
    starts = sorted(e["t"] for e in of_type(evts, "task.started"))
    assert starts[-1] - starts[0] >= (N - 1) / 4 * 0.9, "one start every 0.25 s (the limiter's own rounding aside)"
    assert wall(outcome) < (N - 1) / 4 + SLACK_S


async def test_timeout_guard_turns_a_slow_answer_into_timeouts(targets):
    spec = {"strategy": "gather", "return_exceptions": True, "timeout_ms": 300}
    outcome, evts = await run_on(targets, "hang", spec)
    assert (outcome.status, outcome.summary["counts"]["timeout"]) == ("finished", N)
    assert {(e["status"], e["http_status"], e["error"]) for e in finished(evts)} == {("timeout", None, "TimeoutError")}
    assert 0.3 <= wall(outcome) < 0.3 + SLACK_S


@pytest.mark.parametrize("answer", ["429", "500"])
async def test_retries_guard_retries_httpbins_errors_then_reports_them(targets, answer):
    spec = {"strategy": "gather", "return_exceptions": True, "retries": 2}
    outcome, evts = await run_on(targets, answer, spec)
    assert (outcome.status, outcome.summary["counts"]["error"]) == ("finished", N)
    assert sorted((e["task"], e["attempt"]) for e in finished(evts)) == [(i, a) for i in range(N) for a in (1, 2, 3)]
    assert {e["http_status"] for e in finished(evts)} == {int(answer)}
    assert len(of_type(evts, "task.backoff")) == N * 2
    # The two pauses: at least 0.05 s, then at least 0.1 s (half of the backoff, before jitter).
    assert wall(outcome) >= 0.05 + 0.1


async def test_deadline_guard_cuts_a_slow_target_off(targets):
    outcome, evts = await run_on(targets, "hang", {"strategy": "gather", "deadline_ms": 500})
    assert outcome.status == "finished"
    assert outcome.error == f"the 500 ms deadline cut {N} of {N} requests off"
    assert {(e["status"], e["error"]) for e in finished(evts)} == {("timeout", "CancelledError")}
    assert 0.5 <= wall(outcome) < 0.5 + SLACK_S


# --- End to end: a real Daphne whose PLAYGROUND_TARGETS name httpbin ----------------------


@pytest.fixture(scope="module")
def daphne_with_httpbin(demo_api, httpbin):
    tmp = Path(tempfile.mkdtemp(prefix="playground-httpbin-daphne-"))
    allowed = [
        {"name": "httpbin", "url": httpbin.url("/get")},
        {"name": "httpbin-500", "url": httpbin.url("/status/500")},
    ]
    proc, srv = start_test_daphne(tmp, demo_api.url, {"PLAYGROUND_TARGETS": json.dumps(allowed)})
    yield srv
    stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


async def test_a_configured_target_runs_end_to_end(daphne_with_httpbin, httpbin):
    run_id = await start_run(daphne_with_httpbin, {"strategy": "as_completed", "requests": 5, "target": "httpbin"})
    evts = await collect_run(daphne_with_httpbin, run_id)
    assert [e["seq"] for e in evts] == list(range(len(evts)))
    end = evts[-1]
    assert (end["type"], end["status"], end["error"]) == ("run.finished", "finished", None)
    assert end["summary"]["counts"]["ok"] == 5
    assert {e["http_status"] for e in finished(evts)} == {200}
    assert await collect_run(daphne_with_httpbin, run_id) == evts, "a page reconnecting later sees the same run"


async def test_a_configured_targets_errors_end_the_run_truthfully(daphne_with_httpbin):
    run_id = await start_run(daphne_with_httpbin, {"strategy": "taskgroup", "requests": 3, "target": "httpbin-500"})
    end = (await collect_run(daphne_with_httpbin, run_id))[-1]
    assert (end["type"], end["status"]) == ("run.finished", "failed")
    assert "ClientResponseError" in end["error"] and "internal error" not in end["error"]
