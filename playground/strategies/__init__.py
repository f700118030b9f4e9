"""The strategy catalog: one small module per way of making many requests.

Each module defines one async function `(api, n, **params)` -- the code the
page shows is that function's source, so what a learner reads is what ran --
and a `STRATEGY` entry describing it. `api.fetch(i)` makes request `i`;
`api.waiting(i, reason)` marks it as queued (drawn as the pale part of a bar);
`api.fetch_blocking(i)` makes it with the blocking client (urllib), for the
strategies about blocking calls and threads.

    STRATEGIES[name] --guards.wire(api, spec, strategy)--> the strategy runs with the
                       guards its spec asks for (limit, rate, timeout_ms, retries,
                       deadline_ms) around api.fetch; shown_source(spec) lists that code
"""

from playground.strategies import (
    as_completed,
    batches,
    blocking,
    gather,
    pool,
    rate_limit,
    retry,
    semaphore,
    sequential,
    taskgroup,
    threads,
    timeout,
    to_thread,
    workers,
)
from playground.strategies.base import Strategy
from playground.strategies.guards import GUARD_PARAMS, wire

# In teaching order: the mistake, the fix, ways to bound it, ways to survive a real server,
# then the mistake that breaks async (a blocking call), its fix, and threads beside tasks.
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
        blocking.STRATEGY,
        to_thread.STRATEGY,
        threads.STRATEGY,
    )
}


__all__ = ["GUARD_PARAMS", "STRATEGIES", "Strategy", "wire"]
