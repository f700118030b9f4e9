"""What the catalog knows about a strategy, besides its code."""
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

# ideal(latencies_s, spec) -> (seconds, formula): the wall time this strategy
# would take if requests cost nothing but their latency.
Ideal = Callable[[list[float], dict], tuple[float, str]]


@dataclass(frozen=True)
class Strategy:
    name: str
    label: str
    fn: Callable
    ideal: Ideal
    what: str
    when: str
    pitfall: str
    params: tuple[str, ...] = ()
    required: tuple[str, ...] = field(default=())

    @property
    def source(self) -> str:
        """The source of the function that runs: what the page shows."""
        return inspect.getsource(self.fn)

    async def run(self, api, n: int, spec: dict):
        kwargs = {name: spec[name] for name in self.params if name in spec}
        return await self.fn(api, n, **kwargs)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "params": list(self.params),
            "source": self.source,
            "what": self.what,
            "when": self.when,
            "pitfall": self.pitfall,
        }


def slots_makespan(latencies: list[float], slots: int) -> float:
    """Wall time of requests handed in order to `slots` parallel lanes (FIFO)."""
    if not latencies:
        return 0.0
    lanes = [0.0] * min(slots, len(latencies))
    for latency in latencies:
        k = lanes.index(min(lanes))
        lanes[k] += latency
    return max(lanes)
