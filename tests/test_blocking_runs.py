"""The blocking-call lessons end to end, through a real Daphne: each run alone in a process of its
own (runs/alone.py), its loop watched. A blocking call holds the loop (loop.blocked, the summary's
loop figures), the fix leaves it free, threads cost threads, and a cancel cuts a held loop free."""

from tests.support.wsclient import cancel, collect_run, events_around, start_run

SLOW = {"requests": 2, "latency_ms": 1500}  # a loop held by one such request is held >= 1.5 s
HELD = {"strategy": "blocking", "requests": 5, "latency_ms": 4000}  # 20 s unless cut short


def finished(evts) -> list[dict]:
    return [e for e in evts if e["type"] == "task.finished"]


async def test_a_blocking_call_holds_the_loop_and_to_thread_leaves_it_free(server):
    loops = {}
    for name in ("blocking", "to_thread"):
        evts = await collect_run(server, await start_run(server, {"strategy": name, **SLOW}))
        end = evts[-1]
        assert (end["status"], end["summary"]["counts"]["ok"]) == ("finished", 2), end
        assert evts[0]["spec"]["own_process"] is True, "always alone: it blocks its loop or starts threads"
        loops[name] = (end["summary"]["loop"], [e for e in evts if e["type"] == "loop.blocked"])
    (blocking, stretches), (to_thread, _) = loops["blocking"], loops["to_thread"]
    assert blocking["blocked_s"] >= 2 * 1.4 and blocking["longest_s"] >= 1.4, blocking
    assert stretches and max(e["end"] - e["start"] for e in stretches) >= 1.4
    assert to_thread["longest_s"] < 0.5, to_thread  # a second short of one held request


async def test_block_ms_holds_the_loop_of_any_strategy(server):
    spec = {"strategy": "gather", "requests": 4, "latency_ms": 100, "block_ms": 300, "block_kind": "cpu"}
    evts = await collect_run(server, await start_run(server, spec))
    end = evts[-1]
    assert end["status"] == "finished" and evts[0]["spec"]["own_process"] is True
    assert end["summary"]["loop"]["blocked_s"] >= 4 * 0.3 * 0.9, end["summary"]["loop"]


async def test_threads_report_the_threads_they_started(server):
    spec = {"strategy": "threads", "requests": 12, "latency_ms": 100, "workers": 6}
    end = (await collect_run(server, await start_run(server, spec)))[-1]
    assert (end["status"], end["summary"]["counts"]["ok"]) == ("finished", 12)
    assert end["summary"]["cost"]["threads"] >= 6, end["summary"]["cost"]


async def test_a_cancel_frees_a_loop_held_by_a_blocking_call(server):
    run_id = await start_run(server, HELD)
    evts = await events_around(server, run_id, 1, lambda: cancel(server, run_id))  # once request 0 is in flight
    end = evts[-1]
    assert (end["type"], end["status"]) == ("run.finished", "cancelled")
    assert end["t"] < 3.0, "the cancel did not wait for the held loop's 4 s request"
    assert [(e["task"], e["status"]) for e in finished(evts)] == [(0, "cancelled")]
    assert [e["seq"] for e in evts] == list(range(len(evts)))
