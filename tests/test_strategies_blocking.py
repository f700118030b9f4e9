"""Blocking the event loop, and threads beside tasks: the blocking, to_thread and threads
strategies and block_ms, each one's defining property measured against the real demo API."""

import pytest

from tests.support.runs import bars, of_type, order, peak_in_flight, run_spec, steps, wall

# Wall times are checked downwards; upwards only with at least SLACK_S to spare, on a shared
# and busy machine (as in test_strategies.py).
SLACK_S = 1.0


async def test_a_blocking_call_inside_async_def_runs_the_requests_one_after_another(demo_api):
    outcome, evts = await run_spec({"strategy": "blocking", "requests": 5, "latency_ms": 200}, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 0.9  # 5 x 0.2 s: gathered, and still one after another
    assert outcome.summary["ideal_s"] == pytest.approx(1.0)
    # Never two in flight: each request starts only after the one before it finished.
    assert steps(evts) == [(kind, i) for i in range(5) for kind in ("started", "finished")]
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == 1


async def test_to_thread_moves_the_blocking_call_off_the_loop(demo_api):
    # Requests of 1 s: five threads start well within one, however busy the machine.
    outcome, evts = await run_spec({"strategy": "to_thread", "requests": 5, "latency_ms": 1000}, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 1.0
    assert outcome.summary["ideal_s"] == pytest.approx(1.0)
    # All five in flight at once again: every start comes before any end.
    assert [kind for kind, _ in steps(evts)] == ["started"] * 5 + ["finished"] * 5
    assert sorted(order(evts, "task.waiting", reason="thread")) == list(range(5))


async def test_to_thread_requests_beyond_the_default_pool_wait_for_a_thread(demo_api):
    from playground.strategies.ideal import DEFAULT_POOL_THREADS

    n = DEFAULT_POOL_THREADS + 3
    outcome, evts = await run_spec({"strategy": "to_thread", "requests": n, "latency_ms": 1000}, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 2.0  # two rounds of the pool
    assert outcome.summary["ideal_s"] == pytest.approx(2.0)
    assert outcome.summary["max_in_flight"] == peak_in_flight(evts) == DEFAULT_POOL_THREADS
    assert sorted(order(evts, "task.waiting", reason="thread")) == list(range(n))
    # The three beyond the pool start only once a thread is free: after a request has finished.
    came = steps(evts)
    first_end = came.index(next(step for step in came if step[0] == "finished"))
    assert sum(kind == "started" for kind, _ in came[:first_end]) == DEFAULT_POOL_THREADS


async def test_threads_run_workers_requests_at_a_time_and_leave_the_loop_free(demo_api):
    spec = {"strategy": "threads", "requests": 20, "latency_ms": 200, "workers": 5}
    outcome, evts = await run_spec(spec, demo_api.url)
    assert outcome.status == "finished" and outcome.summary["counts"]["ok"] == 20
    assert wall(outcome) >= 0.8  # four rounds of five
    assert outcome.summary["ideal_s"] == pytest.approx(0.8)
    # At most five at once (a thread slow to start on a busy machine may make it fewer at a moment).
    assert 2 <= outcome.summary["max_in_flight"] == peak_in_flight(evts) <= 5
    assert sorted(order(evts, "task.waiting", reason="thread")) == list(range(20))


async def test_the_loop_stays_free_under_threads_and_to_thread_and_is_held_by_blocking(demo_api):
    # Requests of 1.5 s: a loop held by one would wake the recorder's 10 ms timer >= 1.5 s late.
    work = {"requests": 2, "latency_ms": 1500, "workers": 2}
    lag_ms = {}
    for name in ("threads", "to_thread", "blocking"):
        outcome, _ = await run_spec({"strategy": name, **work}, demo_api.url)
        lag_ms[name] = outcome.summary["loop_lag_ms"]
    assert lag_ms["blocking"] >= 1400, lag_ms
    assert lag_ms["threads"] < 1000 and lag_ms["to_thread"] < 1000, lag_ms  # 0.5 s short of a held loop


@pytest.mark.parametrize(
    "spec",
    [{"strategy": "blocking"}, {"strategy": "to_thread"}, {"strategy": "threads", "workers": 4}],
)
async def test_the_blocking_clients_timeout_cuts_a_hanging_request(demo_api, spec):
    # Seed 1: request 1 hangs; the other three answer after 50 ms.
    work = {"requests": 4, "latency_ms": 50, "hang_rate": 0.3, "seed": 1, "timeout_ms": 300}
    outcome, evts = await run_spec({**spec, **work}, demo_api.url)
    assert outcome.status == "failed" and outcome.error.startswith("TimeoutError")
    span = bars(evts)[(1, 1)]
    assert span["status"] == "timeout"
    assert 0.3 <= span["end"] - span["start"] < 0.3 + SLACK_S


@pytest.mark.parametrize("kind", ["sleep", "cpu"])
async def test_block_ms_holds_the_loop_before_each_request(demo_api, kind):
    spec = {"strategy": "gather", "requests": 5, "latency_ms": 200, "block_ms": 100, "block_kind": kind}
    outcome, evts = await run_spec(spec, demo_api.url)
    assert outcome.status == "finished"
    assert wall(outcome) >= 0.45  # the five blocks, one after another on the one loop
    # Five holds of 0.1 s, then the last request's 0.2 s.
    assert outcome.summary["ideal_s"] == pytest.approx(0.7)
    starts = [e["t"] for e in of_type(evts, "task.started")]
    assert len(starts) == 5 and min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.09
