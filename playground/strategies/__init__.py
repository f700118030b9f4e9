"""The strategy catalog: one small module per way of making many requests.

Each module defines one async function `(api, n, **params)` -- the code the
page shows is that function's source, so what a learner reads is what ran --
and a `STRATEGY` entry describing it. `api.fetch(i)` makes request `i`;
`api.waiting(i, reason)` marks it as queued (drawn as the pale part of a bar).
"""
from playground.strategies.base import Strategy
from playground.strategies import gather, semaphore, sequential

STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        sequential.STRATEGY,
        gather.STRATEGY,
        semaphore.STRATEGY,
    )
}


def strategy_params(strategy: Strategy) -> tuple[str, ...]:
    """The run-spec fields this strategy reads, besides the workload."""
    return strategy.params


__all__ = ["STRATEGIES", "Strategy", "strategy_params"]
