"""Sequential: await each request before starting the next -- the common mistake."""

from playground.strategies.base import Strategy
from playground.strategies.ideal import SUM


async def sequential(api, n):
    results = []
    for i in range(n):
        # Nothing else runs while this request waits for the network.
        results.append(await api.fetch(i))
    return results


STRATEGY = Strategy(
    name="sequential",
    label="Sequential awaits",
    fn=sequential,
    ideal=SUM,
    what="Awaits one request, then the next. Each starts only when the previous one has answered.",
    when="Only when each request needs the answer of the one before it.",
    pitfall="Looks concurrent because it uses async/await, but the total is the sum of all latencies.",
)
