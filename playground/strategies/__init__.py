"""The strategy catalog: one small module per way of making many requests.

Each module defines one async function `(api, n, **params)` -- the code the
page shows is that function's source, so what a learner reads is what ran --
and a `STRATEGY` entry describing it. `api.fetch(i)` makes request `i`;
`api.waiting(i, reason)` marks it as queued (drawn as the pale part of a bar).

    STRATEGIES[name] --guards.wire(api, spec, strategy)--> the strategy runs with the
                       guards its spec asks for (limit, rate, timeout_ms, retries,
                       deadline_ms) around api.fetch; shown_source(spec) lists that code
"""

from playground.strategies import (
    as_completed,
    batches,
    gather,
    pool,
    rate_limit,
    retry,
    semaphore,
    sequential,
    taskgroup,
    timeout,
    workers,
)
from playground.strategies.base import Strategy
from playground.strategies.guards import GUARD_PARAMS, wire

# In teaching order: the mistake, the fix, ways to bound it, then ways to survive a real server.
STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        sequential.STRATEGY,
        gather.STRATEGY,
        semaphore.STRATEGY,
        as_completed.STRATEGY,
        taskgroup.STRATEGY,
        batches.STRATEGY,
        workers.STRATEGY,
        pool.STRATEGY,
        rate_limit.STRATEGY,
        timeout.STRATEGY,
        retry.STRATEGY,
    )
}


__all__ = ["GUARD_PARAMS", "STRATEGIES", "Strategy", "wire"]
