"""Ready-made runs: the lesson's own examples first."""

PRESETS = [
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
]
