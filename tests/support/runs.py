"""Small helpers shared by tests: run a spec in-process, collect its events, and read them (bars,
steps, order, the peak in flight)."""

import asyncio
import uuid

from playground.runs.executor import Limits, execute
from playground.runs.recorder import Recorder
from playground.runs.targets import demo_target

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

        self.recorder = Recorder(store=store, publish=publish, interval=interval, batch_max=batch_max)

    @property
    def events(self) -> list[dict]:
        return [e for batch in self.published for e in batch]


async def run_spec(spec: dict, url: str, *, limits: Limits = LIMITS, target=None, allowed=None):
    """Execute `spec` against the demo API at `url`; return (outcome, events).

    Each run has a key of its own, so the demo API's per-key rate buckets and
    concurrency counts never carry over from one test to the next.
    """
    spec = {
        "requests": len(spec["latencies_ms"]) if "latencies_ms" in spec else spec.get("requests", 1),
        "latency_ms": 200,
        "jitter_ms": 0,
        "failure_rate": 0,
        "seed": 1,
        **spec,
    }
    c = Collected()
    c.recorder.start()
    outcome = await execute(
        spec=spec,
        target=target or demo_target(url),
        key=f"test-{uuid.uuid4()}",
        recorder=c.recorder,
        limits=limits,
        allowed=allowed,
    )
    await c.recorder.close()
    return outcome, c.events


def bars(evts: list[dict]) -> dict[tuple[int, int], dict]:
    """(task, attempt) -> {"start", "end", "status"} from task events."""
    out: dict[tuple[int, int], dict] = {}
    for e in evts:
        if e["type"] == "task.started":
            out[(e["task"], e["attempt"])] = {"start": e["t"], "end": None, "status": None}
        elif e["type"] == "task.finished":  # a request cancelled while it waited never started
            out.setdefault((e["task"], e["attempt"]), {"start": None}).update(end=e["t"], status=e["status"])
    return out


def of_type(evts: list[dict], kind: str) -> list[dict]:
    return [e for e in evts if e["type"] == kind]


def final_status(evts: list[dict]) -> dict[int, str]:
    """task -> the status of its last finished attempt."""
    return {e["task"]: e["status"] for e in of_type(evts, "task.finished")}


def wall(outcome) -> float:
    """The run's wall time, in seconds."""
    return outcome.summary["wall_s"]


def order(evts, kind, **match) -> list[int]:
    """Task numbers of the events of `kind` (matching `match`), in recorded order."""
    return [e["task"] for e in of_type(evts, kind) if all(e[k] == v for k, v in match.items())]


def peak_in_flight(evts) -> int:
    """The most requests in flight at once, counted from the events in their recorded order."""
    spans, now, peak = bars(evts), 0, 0
    for e in evts:
        if e["type"] == "task.started":
            now += 1
            peak = max(peak, now)
        elif e["type"] == "task.finished" and spans[(e["task"], e["attempt"])]["start"] is not None:
            now -= 1  # a request cancelled while it waited was never in flight
    return peak


def steps(evts) -> list[tuple[str, int]]:
    """("started" | "finished", task) in recorded order."""
    return [(e["type"].split(".")[1], e["task"]) for e in evts if e["type"] in ("task.started", "task.finished")]


async def run_ended(run_id, timeout: float = 30):
    """The Run once it is no longer queued or running (a worker executes it); TimeoutError after `timeout`."""
    from playground.runs.models import Run  # Django's models: only once the test's settings are loaded

    async with asyncio.timeout(timeout):
        while (run := await Run.objects.aget(id=run_id)).status in Run.ACTIVE:
            await asyncio.sleep(0.01)
    return run
