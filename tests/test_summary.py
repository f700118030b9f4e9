"""The summary, on synthetic event lists: ideal formulas, figures and the verdict (pure)."""

import asyncio
import os
import time

import pytest

from playground import events as ev
from playground.runs.summary import percentile, summarize
from playground.strategies import STRATEGIES
from playground.strategies.ideal import LONGEST, PACED, SUM, WAVES, ideal_time, slots
from tests.support.runs import Collected

LAT = [0.3, 0.5, 0.2]


def at(t: float, event: dict) -> dict:
    return {**event, "t": t}


def request(i: int, start: float, end: float, status="ok", attempt=1, http=200, error=None, wait=None):
    """One attempt's events: optionally waiting from `wait`, started, finished."""
    out = [] if wait is None else [at(wait[0], ev.task_waiting(i, attempt, wait[1]))]
    out.append(at(start, ev.task_started(i, attempt)))
    out.append(at(end, ev.task_finished(i, attempt, status, http, error)))
    return out


def ordered(*groups) -> list[dict]:
    return sorted((e for g in groups for e in g), key=lambda e: e["t"])


@pytest.mark.parametrize(
    "ideal,spec,seconds,text",
    [
        (SUM, {}, 1.0, "the sum of the latencies"),
        (LONGEST, {}, 0.5, "the longest latency"),
        (slots("limit"), {"limit": 2}, 0.5, "the latencies shared in order over 2 slots"),
        (slots("workers"), {"workers": 1}, 1.0, "the latencies shared in order over 1 slots"),
        (WAVES, {"batch_size": 2}, 0.7, "the sum, batch after batch of 2, of each batch's longest latency"),
        (PACED, {"rate": 10}, 0.6, "request k starts at k / 10 s; the last to finish sets the time"),
    ],
)
def test_each_ideal_formula(ideal, spec, seconds, text):
    assert ideal.seconds(LAT, spec) == pytest.approx(seconds)
    assert ideal.explain(spec) == text
    assert "{" not in ideal.explain()  # the catalog's general wording


def test_guards_add_to_the_ideal_unless_the_strategy_applies_them_itself():
    lat = [0.2] * 6
    assert ideal_time(LONGEST, lat, {"limit": 2})[0] == pytest.approx(0.6)
    seconds, text = ideal_time(slots("limit"), lat, {"limit": 2}, own=("limit",))
    assert seconds == pytest.approx(0.6) and "slots allow" not in text
    assert ideal_time(LONGEST, lat, {"rate": 5})[0] == pytest.approx(1.2)  # starts at 0, 0.2 .. 1.0
    assert ideal_time(SUM, lat, {"limit": 2})[0] == pytest.approx(1.2)  # a limit cannot speed it up


def test_the_deadline_and_timeouts_show_in_the_formula():
    seconds, text = ideal_time(SUM, [1.0, 1.0], {"deadline_ms": 1500, "timeout_ms": 1000, "retries": 2})
    assert seconds == 1.5
    assert text == (
        "the sum of the latencies; each attempt cut at 1,000 ms; failed attempts run again, "
        "without the pauses between them; cut at the 1,500 ms deadline"
    )


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 95) == 4


def test_figures_of_a_run_with_waiting_retries_rejections_and_a_deadline():
    history = ordered(
        request(0, 0.0, 0.2, wait=(0.0, "semaphore")),
        request(1, 0.2, 0.3, wait=(0.0, "semaphore"), status="error", http=429, error="ClientResponseError"),
        [at(0.3, ev.task_backoff(1, 1, 1.0))],
        request(1, 1.3, 1.5, attempt=2),
        request(2, 0.3, 2.0, status="timeout", error="CancelledError"),
        [at(0.0, ev.task_waiting(3, 1, "semaphore"))],  # never started: cut while it waited
    )
    s = summarize(history, requests=4, wall_s=2.0, ideal=(0.5, "x"))
    assert s["counts"] == {"ok": 2, "error": 0, "timeout": 1, "cancelled": 0, "not_started": 1}
    assert (s["attempts"], s["retries"], s["backoff_s"], s["rejected"]) == (4, 1, 1.0, 1)
    assert s["waiting"] == {"semaphore": {"waits": 2, "mean_s": 0.1}}
    assert s["max_in_flight"] == 2 and s["cut_by_deadline"] == 1
    assert (s["p50_ms"], s["p95_ms"]) == (200.0, 200.0)
    assert s["throughput_rps"] == 1.5 and s["efficiency"] == 0.25


def verdict(history=(), *, wall, ideal, requests=1, guess_ms=None) -> str:
    return summarize(list(history), requests=requests, wall_s=wall, ideal=(ideal, "f"), guess_ms=guess_ms)["verdict"]


def test_verdict_when_the_strategy_set_the_time():
    text = verdict(request(0, 0.3, 0.6, wait=(0.0, "semaphore")), wall=0.62, ideal=0.6)
    assert text == (
        "Measured 0.62 s against an ideal 0.60 s (f): the strategy itself set the time, "
        "with 1 wait of 0.30 s on average for a semaphore slot."
    )


def test_verdict_names_what_made_the_difference():
    history = ordered(
        request(0, 0.0, 0.1, status="error", http=429),
        [at(0.1, ev.task_backoff(0, 1, 1.2))],
        request(0, 1.3, 1.4, attempt=2),
        request(1, 0.0, 1.0, status="timeout", error="TimeoutError"),
    )
    text = verdict(history, wall=1.5, ideal=0.2, requests=2)
    assert text == (
        "Measured 1.50 s against an ideal 0.20 s (f): 1.30 s more, from 1 retry after 1.20 s "
        "of backoff, 1 answer of 429/503 from the server's limits, 1 timeout."
    )


def test_verdict_blames_overhead_when_nothing_else_happened():
    assert verdict(request(0, 0.0, 0.9), wall=0.9, ideal=0.5).endswith(
        "0.40 s more, from overhead (connections, scheduling)."
    )


def test_verdict_when_the_run_ended_early():
    text = verdict(request(0, 0.0, 0.1, status="error", http=500), wall=0.1, ideal=2.0, requests=10)
    assert text.endswith("the run ended early, 9 of 10 requests unfinished.")


@pytest.mark.parametrize(
    "guess_ms,words", [(600, "was right"), (1000, "was 0.40 s too high"), (200, "was 0.40 s too low")]
)
def test_verdict_compares_the_guess(guess_ms, words):
    assert verdict(wall=0.6, ideal=0.6, guess_ms=guess_ms).endswith(f"your guess of {guess_ms / 1000:.2f} s {words}.")


def test_the_catalog_states_each_strategys_ideal_formula():
    ideals = {name: s.describe()["ideal"] for name, s in STRATEGIES.items()}
    assert ideals["sequential"] == "the sum of the latencies"
    assert ideals["gather"] == ideals["as_completed"] == ideals["taskgroup"] == "the longest latency"
    assert ideals["workers"] == "the latencies shared in order over workers slots"
    assert ideals["rate_limit"] == "request k starts at k / rate s; the last to finish sets the time"
    assert ideals["blocking"] == "the sum of the latencies"  # gathered, yet one after another
    assert ideals["threads"] == "the latencies shared in order over workers slots"
    threads = min(32, (os.cpu_count() or 1) + 4)  # asyncio.to_thread's default pool, on this machine
    assert ideals["to_thread"] == f"the latencies shared in order over the default thread pool's {threads} threads"


@pytest.mark.parametrize(
    "ideal,expected_s",
    [
        (LONGEST, 5 * 0.1 + 0.2),  # gather: the five holds one after another, then the last request
        (SUM, 5 * (0.1 + 0.2)),  # sequential: each request's hold, then the request, in turn
    ],
)
def test_block_ms_makes_the_loop_the_bottleneck_in_the_ideal(ideal, expected_s):
    seconds, words = ideal_time(ideal, [0.2] * 5, {"block_ms": 100})
    assert seconds == pytest.approx(expected_s)
    assert "holds the event loop 100 ms" in words and "no faster than 5 x 100 ms of loop time" in words


def test_a_busy_loop_is_reported_in_the_verdict():
    quiet = summarize([], requests=0, wall_s=1.0, ideal=(1.0, "sum"), loop_lag_s=0.002)
    busy = summarize([], requests=0, wall_s=1.0, ideal=(1.0, "sum"), loop_lag_s=0.4)
    assert quiet["loop_lag_ms"] == 2.0 and "busy" not in quiet["verdict"]
    assert busy["loop_lag_ms"] == 400.0 and "worker running it was busy" in busy["verdict"]


async def test_the_recorder_measures_how_late_the_loop_woke_it():
    c = Collected(interval=0.01)
    c.recorder.start()
    await asyncio.sleep(0)  # one step: the flusher enters its first 10 ms sleep
    held_until = time.monotonic() + 0.2
    while time.monotonic() < held_until:  # hold the loop with work, as a heavy run would
        pass
    await c.recorder.close()  # the flusher wakes (late), notes by how much, and ends
    assert c.recorder.max_lag_s >= 0.15  # a lower bound: a busier machine only wakes it later


def with_phases(i: int, start: float, connect_s: float, wait_s: float) -> list[dict]:
    """A request that connected for `connect_s` (0: reused a connection), waited `wait_s`, read 1 ms."""
    spans, t = [], start
    if connect_s:
        spans.append(ev.phase("connect", t, t + connect_s))
        t += connect_s
    spans += [ev.phase("wait", t, t + wait_s), ev.phase("read", t + wait_s, t + wait_s + 0.001)]
    end = t + wait_s + 0.001
    return [at(start, ev.task_started(i, 1)), at(end, ev.task_finished(i, 1, "ok", 200, None, spans))]


def test_phase_figures_count_only_the_phases_a_request_went_through():
    history = ordered(with_phases(0, 0.0, 0.01, 0.2), with_phases(1, 0.3, 0, 0.4))
    figures = summarize(history, requests=2, wall_s=0.8)["phases"]
    assert list(figures) == ["connect", "wait", "read"]
    assert figures["connect"] == {
        "count": 1,
        "total_s": 0.01,
        "mean_ms": 10.0,
        "p95_ms": 10.0,
        "max_ms": 10.0,
        "slow": 0,
    }
    assert figures["wait"]["count"] == 2 and figures["wait"]["mean_ms"] == 300.0 and figures["wait"]["p95_ms"] == 400.0


def test_the_verdict_names_connecting_when_it_dominates_and_the_syn_retry_when_it_happened():
    quick = summarize(ordered(with_phases(0, 0.0, 0.01, 0.2)), requests=1, wall_s=0.3)
    assert quick["verdict"] is None  # no ideal, no guess, connecting 5%: nothing to say
    retried = ordered(*(with_phases(i, 0.0, 1.02 if i < 3 else 0.002, 0.1) for i in range(10)))
    s = summarize(retried, requests=10, wall_s=1.2)
    assert s["phases"]["connect"]["slow"] == 3
    assert s["verdict"] == (
        "Connecting took 75% of the time requests were in flight (10 new connections, 307 ms on average); "
        "3 took 0.9 s or more: the server's listen queue (its backlog) was full, so their first SYN was "
        "dropped and sent again a second later (TCP's retry)."
    )
    slow = summarize(ordered(*(with_phases(i, 0.0, 0.5, 0.1) for i in range(2))), requests=2, wall_s=0.7)
    assert slow["verdict"].startswith("Connecting took 83% of the time") and "SYN" not in slow["verdict"]


def test_a_connect_a_timeout_cut_off_is_not_taken_for_a_syn_retry():
    # A host that drops every SYN: each request's connect runs until its 2 s timeout ends it.
    cut = [
        [
            at(0.0, ev.task_started(i, 1)),
            at(2.0, ev.task_finished(i, 1, "timeout", None, "TimeoutError", [ev.phase("connect", 0.0, 2.0)])),
        ]
        for i in range(3)
    ]
    s = summarize(ordered(*cut), requests=3, wall_s=2.0)
    assert s["phases"]["connect"]["count"] == 3 and s["phases"]["connect"]["slow"] == 0
    assert "SYN" not in (s["verdict"] or "")


def test_a_loop_held_for_much_of_a_run_alone_is_named_and_its_lag_not_blamed_on_others():
    held = {"blocked_s": 0.9, "stretches": 5, "longest_s": 0.2, "share": 0.9}
    free = {"blocked_s": 0.0, "stretches": 0, "longest_s": 0.0, "share": 0.0}
    cost = {"cpu_s": 0.1, "peak_memory_mb": 1.0, "threads": 0}
    blocked = summarize([], requests=0, wall_s=1.0, ideal=(1.0, "sum"), loop_lag_s=0.2, loop=held, cost=cost)
    assert blocked["loop"] == held and blocked["cost"] == cost
    assert "event loop was blocked 90% of the run (0.90 s in 5 stretches, the longest 200 ms)" in blocked["verdict"]
    assert "worker running it was busy" not in blocked["verdict"], "its loop is its own"
    quiet = summarize([], requests=0, wall_s=1.0, ideal=(1.0, "sum"), loop=free, cost=cost)
    assert "event loop" not in quiet["verdict"]
