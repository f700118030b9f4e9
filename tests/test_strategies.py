"""Each strategy's and guard's defining property, measured against the real demo API."""

import random

import aiohttp
import pytest

from playground.strategies.guards import retry_delay
from tests.support.runs import LIMITS, bars, final_status, of_type, order, peak_in_flight, run_spec, steps, wall

# Wall times are checked downwards (a strategy can never beat its own ideal); upwards
# only with at least SLACK_S to spare, on a shared and busy machine. Each strategy's
# defining property is checked in the recorded order of its events instead. Speed
# figures belong in bench/ (bench/presets.py measures ideal against measured).
SLACK_S = 1.0
UNEVEN = [800, 100, 100, 100, 100, 800, 100, 100, 100, 100, 800, 100]  # one slow request in every 4


async def test_gather_takes_the_longest_latency(demo_api):
    outcome, evts = await run_spec({"strategy": "gather", "latencies_ms": [300, 500, 200]}, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 0.5
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 3
    # All three start before any ends: the run lasts as long as its longest request, not the sum.
    assert [kind for kind, _ in steps(evts)] == ["started"] * 3 + ["finished"] * 3
    assert outcome.summary["ideal_s"] == 0.5


async def test_sequential_takes_the_sum(demo_api):
    outcome, evts = await run_spec({"strategy": "sequential", "latencies_ms": [300, 500, 200]}, demo_api.url)
    assert wall(outcome) >= 1.0
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 1
    # Each request starts only after the previous one finished.
    assert steps(evts) == [(kind, i) for i in range(3) for kind in ("started", "finished")]
    assert outcome.summary["ideal_s"] == 1.0


async def test_semaphore_runs_in_waves_of_limit(demo_api):
    outcome, evts = await run_spec(
        {"strategy": "semaphore", "requests": 6, "latency_ms": 200, "limit": 2}, demo_api.url
    )
    assert wall(outcome) >= 0.6
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 2
    assert outcome.summary["ideal_s"] == pytest.approx(0.6)
    waiting = of_type(evts, "task.waiting")
    assert sorted(e["task"] for e in waiting) == list(range(6))
    assert {e["reason"] for e in waiting} == {"semaphore"}


async def test_as_completed_handles_results_in_finishing_order(demo_api):
    # A second apart, so that a busy machine cannot swap two answers.
    outcome, evts = await run_spec({"strategy": "as_completed", "latencies_ms": [2100, 100, 1100]}, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 2.1
    assert order(evts, "task.started") == [0, 1, 2]
    assert order(evts, "task.finished") == [1, 2, 0]


async def test_taskgroup_first_failure_cancels_the_siblings(demo_api):
    # Seed 1 with failure_rate 0.3: request 2 (and no other) fails, after 0.1 s; the nine others take 1.5 s.
    latencies = [1500] * 10
    latencies[2] = 100
    outcome, evts = await run_spec(
        {"strategy": "taskgroup", "latencies_ms": latencies, "failure_rate": 0.3, "seed": 1}, demo_api.url
    )
    assert outcome.status == "failed"
    assert "ExceptionGroup" in outcome.error and "ClientResponseError" in outcome.error
    # Siblings are cancelled at the failure, not left to run: the failure ends first, then all nine.
    ends = of_type(evts, "task.finished")
    assert [(e["task"], e["status"]) for e in ends[:1]] == [(2, "error")]
    assert sorted(e["task"] for e in ends[1:]) == [0, 1, 3, 4, 5, 6, 7, 8, 9]
    assert {e["status"] for e in ends[1:]} == {"cancelled"}
    assert wall(outcome) < 0.1 + SLACK_S  # well before the siblings' 1.5 s


async def test_batches_idle_on_uneven_latencies_where_a_semaphore_does_not(demo_api):
    work = {"latencies_ms": UNEVEN}
    batched, evts = await run_spec({"strategy": "batches", "batch_size": 4, **work}, demo_api.url)
    sem, sem_evts = await run_spec({"strategy": "semaphore", "limit": 4, **work}, demo_api.url)
    assert wall(batched) >= 2.4  # three batches, each as slow as its 0.8 s request
    assert (batched.summary["ideal_s"], sem.summary["ideal_s"]) == (pytest.approx(2.4), pytest.approx(1.1))
    assert batched.summary["max_in_flight"] == peak_in_flight(evts) == 4
    assert sem.summary["max_in_flight"] == peak_in_flight(sem_evts) == 4
    assert order(evts, "task.waiting", reason="batch") == list(range(12))
    # Batches: a batch starts only once every request of the one before has ended, the slow one too.
    for first in (4, 8):
        came = steps(evts)
        assert came.index(("started", first)) > max(came.index(("finished", i)) for i in range(first - 4, first))
    # A semaphore: the fast requests after request 0 go on in its slot's stead while it is still in flight.
    came = steps(sem_evts)
    assert came.index(("started", 4)) < came.index(("finished", 0))


@pytest.mark.parametrize(
    "spec,reason",
    [
        ({"strategy": "workers", "workers": 2}, "worker"),
        ({"strategy": "pool", "limit": 2}, "pool"),
    ],
)
async def test_workers_and_pool_run_like_a_semaphore(demo_api, spec, reason):
    outcome, evts = await run_spec({**spec, "requests": 6, "latency_ms": 200}, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 0.6
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 2
    assert outcome.summary["ideal_s"] == pytest.approx(0.6)
    assert sorted(order(evts, "task.waiting", reason=reason)) == list(range(6))


async def test_workers_raise_an_error_instead_of_dying_silently(demo_api):
    outcome, evts = await run_spec(
        {"strategy": "workers", "workers": 2, "requests": 10, "latency_ms": 20, "failure_rate": 0.3, "seed": 1},
        demo_api.url,
    )
    assert outcome.status == "failed" and "ClientResponseError" in outcome.error
    spans = bars(evts)
    assert spans[(2, 1)]["status"] == "error"  # seed 1: request 2 fails
    assert all(b["end"] is not None for b in spans.values()), "no worker is left running"


async def test_rate_limit_paces_requests_and_avoids_429s(demo_api):
    server = {"requests": 15, "latency_ms": 20, "server_rate": 10}
    limited, evts = await run_spec({"strategy": "rate_limit", "rate": 10, **server}, demo_api.url)
    unlimited, _ = await run_spec({"strategy": "gather", "return_exceptions": True, **server}, demo_api.url)
    assert limited.summary["counts"]["ok"] == 15 and limited.summary["rejected"] == 0
    assert wall(limited) >= 1.4  # (15 - 1) / 10 s, then the last request
    starts = [e["t"] for e in of_type(evts, "task.started")]
    assert len(starts) == 15
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) > 0.09  # never a burst
    # The server's bucket holds 10 tokens: plain gather gets 5 answers of 429.
    assert unlimited.summary["rejected"] == 5


async def test_timeout_cuts_hanging_requests_at_timeout_ms(demo_api):
    # Seed 1: requests 1 and 5 hang; the others answer after 50 ms.
    outcome, evts = await run_spec(
        {"strategy": "timeout", "requests": 10, "latency_ms": 50, "hang_rate": 0.3, "seed": 1, "timeout_ms": 300},
        demo_api.url,
    )
    assert outcome.status == "finished" and outcome.error is None
    spans = bars(evts)
    for i in (1, 5):
        assert spans[(i, 1)]["status"] == "timeout"
        assert 0.3 <= spans[(i, 1)]["end"] - spans[(i, 1)]["start"] < 0.3 + SLACK_S  # they hang for good
    assert outcome.summary["counts"]["ok"] == 8


@pytest.mark.parametrize(
    "spec",
    [
        {"strategy": "timeout", "timeout_ms": 5000, "deadline_ms": 500},  # its own deadline
        {"strategy": "semaphore", "limit": 3, "deadline_ms": 500},  # the deadline as a guard
        # Blocking requests in threads: the run's close() shuts their sockets.
        {"strategy": "to_thread", "deadline_ms": 500},
        {"strategy": "threads", "workers": 4, "deadline_ms": 500},
    ],
)
async def test_the_deadline_cuts_the_rest_off(demo_api, spec):
    outcome, evts = await run_spec({**spec, "latencies_ms": [100, 100, 2000, 2000]}, demo_api.url)
    assert outcome.status == "finished"
    assert outcome.error == "the 500 ms deadline cut 2 of 4 requests off"
    assert 0.5 <= wall(outcome) < 0.5 + SLACK_S  # the 2 s requests would have taken 2 s
    statuses = final_status(evts)
    assert [statuses[i] for i in range(4)] == ["ok", "ok", "timeout", "timeout"]


async def test_retry_recovers_seeded_failures_in_linked_attempts(demo_api):
    # Seed 1: request 2 fails its first two attempts; the third works.
    outcome, evts = await run_spec(
        {"strategy": "retry", "requests": 10, "latency_ms": 20, "failure_rate": 0.3, "seed": 1, "retries": 3},
        demo_api.url,
    )
    assert outcome.status == "finished"
    assert outcome.summary["counts"]["ok"] == 10 and outcome.summary["retries"] == 2
    story = [(e["type"], e.get("attempt"), e.get("status")) for e in evts if e.get("task") == 2]
    assert story == [
        ("task.started", 1, None),
        ("task.finished", 1, "error"),
        ("task.backoff", 1, None),
        ("task.started", 2, None),
        ("task.finished", 2, "error"),
        ("task.backoff", 2, None),
        ("task.started", 3, None),
        ("task.finished", 3, "ok"),
    ]


async def test_retry_honours_retry_after(demo_api):
    # A bucket of one token a second: the second request gets 429 and Retry-After: 1.
    outcome, evts = await run_spec(
        {"strategy": "retry", "requests": 2, "latency_ms": 0, "server_rate": 1, "retries": 1}, demo_api.url
    )
    assert outcome.summary["counts"]["ok"] == 2 and outcome.summary["rejected"] == 1
    (backoff,) = of_type(evts, "task.backoff")
    assert backoff["delay_s"] >= 1.0
    spans = bars(evts)
    again = spans[(backoff["task"], 2)]["start"] - spans[(backoff["task"], 1)]["end"]
    assert again >= 1.0


def test_retry_delay_retries_only_what_may_pass():
    def answer(status, retry_after=None):
        headers = {"Retry-After": retry_after} if retry_after else {}
        return aiohttp.ClientResponseError(None, (), status=status, headers=headers)

    rng = random.Random(0)
    assert retry_delay(answer(404), 1, rng) is None and retry_delay(answer(400), 1, rng) is None
    assert 0.05 <= retry_delay(answer(500), 1, rng) <= 0.1 and 0.2 <= retry_delay(TimeoutError(), 3, rng) <= 0.4
    assert 2 <= retry_delay(answer(429, "2"), 1, rng) <= 2.05  # Retry-After, plus a little jitter
    assert retry_delay(aiohttp.ClientConnectionError(), 30, rng) <= 10  # capped


async def test_a_limit_guard_bounds_any_launch_pattern(demo_api):
    outcome, evts = await run_spec(
        {"strategy": "as_completed", "requests": 8, "latency_ms": 100, "limit": 3}, demo_api.url
    )
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 3
    assert sorted(order(evts, "task.waiting", reason="semaphore")) == list(range(8))
    assert outcome.summary["ideal_s"] == pytest.approx(0.3)


async def test_timeout_and_retry_guards_rescue_hangs_under_workers(demo_api):
    # Seed 1: requests 1 and 5 hang at first; their second attempts (fresh draws) do not.
    outcome, evts = await run_spec(
        {
            "strategy": "workers",
            "workers": 3,
            "requests": 10,
            "latency_ms": 50,
            "hang_rate": 0.3,
            "seed": 1,
            "timeout_ms": 200,
            "retries": 2,
        },
        demo_api.url,
    )
    assert outcome.status == "finished" and outcome.summary["counts"]["ok"] == 10
    spans = bars(evts)
    assert spans[(1, 1)]["status"] == spans[(5, 1)]["status"] == "timeout"
    assert 0.2 <= spans[(1, 1)]["end"] - spans[(1, 1)]["start"] < 0.2 + SLACK_S  # it hangs for good


async def test_a_rate_guard_paces_gather(demo_api):
    outcome, evts = await run_spec({"strategy": "gather", "requests": 5, "latency_ms": 10, "rate": 20}, demo_api.url)
    starts = [e["t"] for e in of_type(evts, "task.started")]
    assert len(starts) == 5 and starts[-1] - starts[0] >= 4 / 20 * 0.9
    assert order(evts, "task.waiting", reason="rate") == list(range(5))


async def test_a_request_timeout_is_a_failure_and_the_run_limit_a_cancellation(demo_api):
    failed, _ = await run_spec(
        {"strategy": "gather", "requests": 2, "latency_ms": 1000, "timeout_ms": 100}, demo_api.url
    )
    assert failed.status == "failed" and failed.error.startswith("TimeoutError")
    short = LIMITS.__class__(connection_limit=100, request_timeout_s=30, max_run_s=0.3)
    cut, _ = await run_spec({"strategy": "gather", "requests": 2, "latency_ms": 1000}, demo_api.url, limits=short)
    assert cut.status == "cancelled" and "ran longer than the 0.3 s" in cut.error


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
        {"strategy": "gather", "requests": 20, "latency_ms": 100, "jitter_ms": 80, "failure_rate": 0.3, "seed": 1},
        demo_api.url,
    )
    assert outcome.status == "failed"
    assert "ClientResponseError" in outcome.error
    spans = bars(evts)
    assert len(spans) == 20
    assert all(b["end"] is not None for b in spans.values()), "every bar must end"
    statuses = {b["status"] for b in spans.values()}
    assert "error" in statuses and "cancelled" in statuses
    assert statuses <= {"ok", "error", "cancelled"}


async def test_gather_return_exceptions_keeps_errors_as_data(demo_api):
    outcome, evts = await run_spec(
        {
            "strategy": "gather",
            "requests": 20,
            "latency_ms": 50,
            "failure_rate": 0.3,
            "seed": 1,
            "return_exceptions": True,
        },
        demo_api.url,
    )
    assert outcome.status == "finished"
    counts = outcome.summary["counts"]
    assert counts["error"] > 0 and counts["ok"] > 0 and counts["error"] + counts["ok"] == 20
    answers = {(e["status"], e["http_status"]) for e in of_type(evts, "task.finished")}
    assert answers == {("ok", 200), ("error", 500)}


async def test_connector_limit_is_stated_not_defaulted(demo_api):
    # aiohttp's default connector limit is 100: 150 requests must all be in flight at once.
    outcome, evts = await run_spec({"strategy": "gather", "requests": 150, "latency_ms": 300}, demo_api.url)
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 150
