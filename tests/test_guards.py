"""How guards sit around a strategy: order of starts, and retries outside the limit."""

from tests.support.runs import run_spec


def started(evts):
    return [e["task"] for e in evts if e["type"] == "task.started"]


async def test_as_completed_under_a_limit_starts_in_submission_order(demo_api):
    _, evts = await run_spec({"strategy": "as_completed", "requests": 8, "latency_ms": 30, "limit": 2}, demo_api.url)
    assert started(evts) == list(range(8))


async def test_a_request_backing_off_holds_no_slot(demo_api):
    # Every first attempt fails; with one slot, request 1 gets the slot while request 0
    # backs off, so attempt 1 of request 1 starts before attempt 2 of request 0.
    _, evts = await run_spec(
        {"strategy": "gather", "requests": 2, "latency_ms": 20, "limit": 1, "retries": 1, "failure_rate": 1.0},
        demo_api.url,
    )
    order = [(e["task"], e["attempt"]) for e in evts if e["type"] == "task.started"]
    assert order.index((1, 1)) < order.index((0, 2)), order
    backoffs = [e for e in evts if e["type"] == "task.backoff"]
    assert {(e["task"], e["attempt"]) for e in backoffs} == {(0, 1), (1, 1)}
