"""Retry jitter is drawn from (seed, request, attempt): the same spec and seed pause the same."""

from tests.support.runs import of_type, run_spec

# Every attempt fails (failure_rate 1), whatever the seed: both seeds retry the same
# (request, attempt) pairs, so only the jitter can tell their pauses apart.
SPEC = {
    "strategy": "gather",
    "return_exceptions": True,
    "requests": 5,
    "latency_ms": 10,
    "failure_rate": 1,
    "retries": 2,
}


def pauses(evts) -> dict[tuple[int, int], float]:
    """(request, attempt) -> the backoff delay after that attempt."""
    return {(e["task"], e["attempt"]): e["delay_s"] for e in of_type(evts, "task.backoff")}


async def test_the_same_spec_and_seed_back_off_the_same(demo_api):
    _, first = await run_spec({**SPEC, "seed": 7}, demo_api.url)
    _, again = await run_spec({**SPEC, "seed": 7}, demo_api.url)
    assert len(pauses(first)) == 5 * 2, "each request backs off after its first two attempts"
    assert pauses(again) == pauses(first)


async def test_another_seed_backs_off_differently(demo_api):
    _, first = await run_spec({**SPEC, "seed": 7}, demo_api.url)
    _, other = await run_spec({**SPEC, "seed": 8}, demo_api.url)
    assert pauses(other).keys() == pauses(first).keys()
    differ = [key for key in pauses(first) if pauses(first)[key] != pauses(other)[key]]
    assert len(differ) == 10, "a fresh seed draws fresh jitter for every pause"
