"""What the catalog knows about a strategy, besides its code."""

from collections.abc import Callable
from dataclasses import dataclass

from playground.strategies.guards import GUARD_PARAMS
from playground.strategies.ideal import Ideal
from playground.strategies.shown import Piece, piece, shown_source


@dataclass(frozen=True)
class Strategy:
    name: str
    label: str
    fn: Callable  # async fn(api, n, **params): the code that runs, and the code shown
    ideal: Ideal  # its wall time if requests cost only their latency, and why
    what: str
    when: str
    pitfall: str
    params: tuple[str, ...] = ()  # run-spec fields it reads; a guard never doubles them
    required: tuple[str, ...] = ()
    helpers: tuple[Callable, ...] = ()  # functions of ours it calls, shown after it
    own_process: bool = False  # it blocks its loop or starts threads: it runs alone (runs/alone.py)
    blocking_client: bool = False  # its requests go through api.fetch_blocking (urllib), not api.fetch
    refuses: tuple[tuple[str, str], ...] = ()  # (guard, why it cannot apply): RunSpec refuses it, naming why

    def refusal(self, param: str) -> str | None:
        """Why this strategy cannot take the guard `param`, or None if it can (block_kind goes with block_ms)."""
        return dict(self.refuses).get("block_ms" if param == "block_kind" else param)

    async def run(self, api, n: int, spec: dict):
        kwargs = {name: spec[name] for name in self.params if name in spec}
        return await self.fn(api, n, **kwargs)

    def shown_source(self, spec: dict) -> list[Piece]:
        """Every piece of code a run of `spec` runs: this strategy, guards, wiring, fetch."""
        return shown_source(self, spec)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "params": list(self.params),
            "required": list(self.required),
            "guards": [p for p in GUARD_PARAMS if p not in self.params and not self.refusal(p)],
            "code": piece(f"Strategy: {self.label}", self.fn),  # what the page shows before a run
            "helpers": [piece(fn.__name__, fn) for fn in self.helpers],
            "ideal": self.ideal.explain(),
            "what": self.what,
            "when": self.when,
            "pitfall": self.pitfall,
            "own_process": self.own_process,  # the form shows its Own process box ticked and fixed
        }
