"""Ready-made runs: the lesson's own examples first, then what a real API does to them.

Each preset is a run spec (as POST /api/runs takes it) and one sentence of what to notice.
Each pair (PAIRS) names two to four presets (comparisons.MIN_RUNS to MAX_RUNS) that start
together with one seed and open side by side.
"""

from typing import Any

UNEVEN_MS = [800, 100, 100, 100] * 3  # one slow request in every four
# Threads vs tasks: the same 1,000 requests, 100 at a time or all at once, each run in a
# process of its own so that its threads, peak memory and CPU time are its own.
THOUSAND = {"requests": 1000, "latency_ms": 200, "own_process": True}

PRESETS: list[dict[str, Any]] = [
    {
        "name": "three-tasks",
        "label": "Three tasks: 0.3 s, 0.5 s, 0.2 s",
        "spec": {"strategy": "gather", "latencies_ms": [300, 500, 200]},
        "text": "The lesson's first example. Together they take as long as the slowest one: about 0.5 s, not 1.0 s.",
    },
    {
        "name": "three-tasks-sequential",
        "label": "The same three, awaited one by one",
        "spec": {"strategy": "sequential", "latencies_ms": [300, 500, 200]},
        "text": "Awaiting each in turn adds the latencies up: about 1.0 s.",
    },
    {
        "name": "three-200-sequential",
        "label": "Three requests of 200 ms, sequential",
        "spec": {"strategy": "sequential", "requests": 3, "latency_ms": 200},
        "text": "Each request waits for the one before it: 600 ms in all.",
    },
    {
        "name": "three-200-gather",
        "label": "Three requests of 200 ms, gather",
        "spec": {"strategy": "gather", "requests": 3, "latency_ms": 200},
        "text": "All three are in flight at once: about 200 ms in all.",
    },
    {
        "name": "semaphore-2",
        "label": "Six requests of 200 ms, at most 2 in flight",
        "spec": {"strategy": "semaphore", "requests": 6, "latency_ms": 200, "limit": 2},
        "text": "Three waves of two: about 600 ms. Watch the pale waiting part of each bar.",
    },
    {
        "name": "thousand-50",
        "label": "1,000 requests, at most 50 in flight",
        "spec": {"strategy": "semaphore", "requests": 1000, "latency_ms": 100, "jitter_ms": 50, "limit": 50},
        "text": "Twenty waves' worth of work through 50 slots: about 2 s, and never more than 50 in flight.",
    },
    {
        "name": "rate-limited-gather",
        "label": "A rate-limited API: gather gets 429s",
        "spec": {"strategy": "gather", "requests": 30, "latency_ms": 100, "server_rate": 10, "return_exceptions": True},
        "text": "The server's bucket holds 10 tokens: the first 10 requests get through and the "
        "other 20 are turned away at once with 429 Too Many Requests.",
    },
    {
        "name": "rate-limited-limiter",
        "label": "The same API with a rate limiter: no 429s",
        "spec": {"strategy": "rate_limit", "requests": 30, "latency_ms": 100, "server_rate": 10, "rate": 10},
        "text": "One request every 0.1 s always finds a token: all 30 succeed, in about 3 s.",
    },
    {
        "name": "flaky",
        "label": "A flaky API: errors, timeouts and retries",
        "spec": {
            "strategy": "retry",
            "requests": 20,
            "latency_ms": 200,
            "jitter_ms": 100,
            "failure_rate": 0.2,
            "hang_rate": 0.1,
            "timeout_ms": 1000,
            "retries": 3,
        },
        "text": "Two requests fail and three never answer; each attempt gives up after 1 s, and a "
        "failed request tries again after a short pause, so in the end all 20 succeed.",
    },
    {
        "name": "uneven-batches",
        "label": "Batches vs a semaphore: batches of 4",
        "spec": {"strategy": "batches", "latencies_ms": UNEVEN_MS, "batch_size": 4},
        "text": "Each batch waits for its one slow request while three slots sit idle: 3 x 0.8 s = 2.4 s.",
    },
    {
        "name": "uneven-semaphore",
        "label": "Batches vs a semaphore: at most 4 in flight",
        "spec": {"strategy": "semaphore", "latencies_ms": UNEVEN_MS, "limit": 4},
        "text": "The same work and the same limit, but a free slot takes the next request at once: "
        "about 1.0 s instead of 2.4 s.",
    },
    {
        "name": "blocking",
        "label": "A blocking call inside async def",
        "spec": {"strategy": "blocking", "requests": 5, "latency_ms": 200},
        "text": "Gathered, yet one after another: each request holds the event loop until it ends, "
        "so 5 requests of 200 ms take about 1.0 s, not 0.2 s.",
    },
    {
        "name": "to-thread",
        "label": "The fix: asyncio.to_thread",
        "spec": {"strategy": "to_thread", "requests": 5, "latency_ms": 200},
        "text": "The same blocking client, each call in a thread of the default pool: the loop stays "
        "free and the five take about 0.2 s again.",
    },
    {
        "name": "threads-1000",
        "label": "1,000 requests on 100 threads",
        "spec": {"strategy": "threads", "workers": 100, **THOUSAND},
        "text": "A ThreadPoolExecutor of 100 threads: ten rounds of 0.2 s, about 2 s, and 100 OS threads to pay for.",
    },
    {
        "name": "semaphore-1000",
        "label": "1,000 requests, 100 tasks at a time",
        "spec": {"strategy": "semaphore", "limit": 100, **THOUSAND},
        "text": "The same width with tasks and a semaphore: about 2 s too, on one thread.",
    },
    {
        "name": "gather-1000",
        "label": "1,000 requests, gathered",
        "spec": {"strategy": "gather", **THOUSAND},
        "text": "All 1,000 tasks at once on one thread: about 0.2 s of waiting, plus the work of 1,000 requests.",
    },
]

# Pairs that teach by contrast: two to four of the presets above, started together with one seed
# (so the demo API gives every run the same latencies and failures) and shown on one time axis
# (/compare/). The slowest first: the speed-ups are measured against it.
PAIRS: list[dict[str, Any]] = [
    {
        "name": "sequential-vs-gather",
        "label": "Sequential vs gather",
        "presets": ["three-tasks-sequential", "three-tasks"],
        "seed": 7,
        "text": "The same three requests: awaited one by one they add up to 1.0 s, gathered they take 0.5 s.",
    },
    {
        "name": "batches-vs-semaphore",
        "label": "Batches vs a semaphore",
        "presets": ["uneven-batches", "uneven-semaphore"],
        "seed": 7,
        "text": "The same limit of 4: batches wait for their slowest request, "
        "a semaphore refills each free slot at once.",
    },
    {
        "name": "gather-vs-rate-limiter",
        "label": "gather vs a rate limiter",
        "presets": ["rate-limited-gather", "rate-limited-limiter"],
        "seed": 7,
        "text": "The same rate-limited API: gather is fast but gets 429s, "
        "the limiter is slower and every request succeeds.",
    },
    {
        "name": "threads-vs-tasks",
        "label": "Threads vs tasks at 1,000 requests",
        "presets": ["threads-1000", "semaphore-1000", "gather-1000"],
        "seed": 7,
        "text": "The same 1,000 requests: 100 threads, 100 tasks at a time, and all at once; "
        "each run's summary gives what it cost in threads, memory and CPU time.",
    },
]


def pair_specs(name: str) -> list[dict] | None:
    """The run specs a pair starts, each with the pair's seed; None for an unknown pair."""
    pair = next((p for p in PAIRS if p["name"] == name), None)
    if pair is None:
        return None
    specs = {preset["name"]: preset["spec"] for preset in PRESETS}
    return [{**specs[preset], "seed": pair["seed"]} for preset in pair["presets"]]
