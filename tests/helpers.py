"""Small helpers shared by tests: run a spec in-process and collect its events."""
from playground.runs import events
from playground.runs.executor import Limits, execute

LIMITS = Limits(connection_limit=10_000, request_timeout_s=30, max_run_s=60)


class Collected:
    """A Recorder whose store and publish append to lists, in call order."""

    def __init__(self, batch_max: int = 500, interval: float = 0.01):
        self.stored: list[list[dict]] = []
        self.published: list[list[dict]] = []
        self.calls: list[tuple[str, int]] = []  # ("store" | "publish", first seq)

        async def store(batch):
            self.calls.append(("store", batch[0]["seq"]))
            self.stored.append(list(batch))

        async def publish(batch):
            self.calls.append(("publish", batch[0]["seq"]))
            self.published.append(list(batch))

        self.recorder = events.Recorder(store=store, publish=publish, interval=interval, batch_max=batch_max)

    @property
    def events(self) -> list[dict]:
        return [e for batch in self.published for e in batch]


async def run_spec(spec: dict, url: str, *, limits: Limits = LIMITS):
    """Execute `spec` against the demo API at `url`; return (outcome, events)."""
    spec = {"requests": len(spec["latencies_ms"]) if "latencies_ms" in spec else spec.get("requests", 1),
            "latency_ms": 200, "jitter_ms": 0, "failure_rate": 0, "seed": 1, **spec}
    c = Collected()
    c.recorder.start()
    outcome = await execute(spec=spec, url=url + "/work", key="test", recorder=c.recorder, limits=limits)
    await c.recorder.close()
    return outcome, c.events


def bars(evts: list[dict]) -> dict[tuple[int, int], dict]:
    """(task, attempt) -> {"start", "end", "status"} from task events."""
    out: dict[tuple[int, int], dict] = {}
    for e in evts:
        if e["type"] == "task.started":
            out[(e["task"], e["attempt"])] = {"start": e["t"], "end": None, "status": None}
        elif e["type"] == "task.finished":
            out[(e["task"], e["attempt"])].update(end=e["t"], status=e["status"])
    return out
