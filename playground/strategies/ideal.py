"""The ideal: how long a strategy should take if each request cost only its planned duration.

    demoapi/plan.py --planned_durations(spec)--> seconds per request (attempts, timeouts)
                    --Ideal.seconds + ideal_time()--> ideal_s, and its formula in words

Each strategy names its Ideal (SUM, LONGEST, WAVES, PACED, DEFAULT_POOL, slots(param));
the summary sets the measured wall time against it. Only the demo API's latencies
are planned, so a run against a real target has no ideal.
"""

import heapq
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from playground.demoapi.plan import plan
from playground.strategies.api import attempt_seed


@dataclass(frozen=True)
class Ideal:
    """A strategy's wall time if each request cost only its planned duration."""

    text: str  # the formula in words; "{limit}" and the like are filled in from the spec
    seconds: Callable[[list[float], dict], float]

    def explain(self, spec: dict | None = None) -> str:
        """The formula for this spec; without one, in general terms ("over limit slots")."""
        if spec is None:
            return re.sub(r"\{(\w+)[^}]*\}", r"\1", self.text)
        return self.text.format(**spec)


def slots_makespan(durations: list[float], slots: int) -> float:
    """Wall time of requests handed in order to `slots` parallel lanes (FIFO)."""
    lanes = [0.0] * max(1, min(slots, len(durations)))  # when each lane is free: a heap
    for d in durations:
        heapq.heapreplace(lanes, lanes[0] + d)  # the next request takes the lane free first
    return max(lanes)


def waves_makespan(durations: list[float], size: int) -> float:
    """Batches of `size`, one after another: each lasts as long as its slowest request."""
    return sum(max(durations[k : k + size]) for k in range(0, len(durations), size))


def paced_makespan(durations: list[float], rate: float) -> float:
    """Request k may start at k / rate; the last one to finish sets the time."""
    return max((k / rate + d for k, d in enumerate(durations)), default=0.0)


SUM = Ideal("the sum of the latencies", lambda d, spec: sum(d))
LONGEST = Ideal("the longest latency", lambda d, spec: max(d, default=0.0))
WAVES = Ideal(
    "the sum, batch after batch of {batch_size}, of each batch's longest latency",
    lambda d, spec: waves_makespan(d, spec["batch_size"]),
)
PACED = Ideal(
    "request k starts at k / {rate:g} s; the last to finish sets the time",
    lambda d, spec: paced_makespan(d, spec["rate"]),
)


# asyncio.to_thread runs in the loop's default ThreadPoolExecutor: min(32, cores + 4) threads
# (CPython's default; 3.13 counts the cores this process may use). Computed here, on this machine.
CORES = getattr(os, "process_cpu_count", os.cpu_count)() or 1
DEFAULT_POOL_THREADS = min(32, CORES + 4)
DEFAULT_POOL = Ideal(
    f"the latencies shared in order over the default thread pool's {DEFAULT_POOL_THREADS} threads",
    lambda d, spec: slots_makespan(d, DEFAULT_POOL_THREADS),
)


def slots(param: str) -> Ideal:
    """The latencies shared, in order, over `spec[param]` lanes."""
    return Ideal(
        f"the latencies shared in order over {{{param}}} slots", lambda d, spec: slots_makespan(d, spec[param])
    )


def ideal_time(ideal: Ideal, durations: list[float], spec: dict, own: tuple = ()) -> tuple[float, str]:
    """The ideal wall time and its formula, with what the spec's guards add.

    `durations` already hold each request's timeout cap and repeated attempts;
    `own` are the parameters the strategy applies itself (not as a guard).
    """
    latencies = durations
    if spec.get("block_ms"):  # each request first holds the loop block_ms, then goes out
        durations = [d + spec["block_ms"] / 1000 for d in durations]
    seconds, words = ideal.seconds(durations, spec), [ideal.explain(spec)]
    if spec.get("timeout_ms"):
        words.append(f"each attempt cut at {spec['timeout_ms']:,} ms")
    if spec.get("retries"):
        words.append("failed attempts run again, without the pauses between them")
    if spec.get("limit") and "limit" not in own:
        seconds = max(seconds, slots_makespan(durations, spec["limit"]))
        words.append(f"no faster than {spec['limit']:,} slots allow")
    if spec.get("rate") and "rate" not in own:
        seconds = max(seconds, paced_makespan(durations, spec["rate"]))
        words.append(f"no faster than {spec['rate']:g} starts a second allow")
    if spec.get("block_ms"):
        # One loop holds one block at a time, whatever the strategy overlaps: the last block
        # ends no sooner than n x block_ms, and its request then still takes its latency.
        n, held = len(latencies), spec["block_ms"]
        seconds = max(seconds, n * held / 1000 + min(latencies, default=0.0))
        words.append(
            f"each request first holds the event loop {held:,} ms, and the loop holds one at a time: "
            f"no faster than {n:,} x {held:,} ms of loop time, then the shortest latency"
        )
    if spec.get("deadline_ms"):
        seconds = min(seconds, spec["deadline_ms"] / 1000)
        words.append(f"cut at the {spec['deadline_ms']:,} ms deadline")
    return seconds, "; ".join(words)


def planned_durations(spec: dict, safety_timeout_s: float) -> list[float]:
    """Each request's planned seconds: its attempts back to back, each cut at its timeout."""
    cut = spec["timeout_ms"] / 1000 if spec.get("timeout_ms") else safety_timeout_s
    base, seed = spec.get("latencies_ms"), spec.get("seed", 0)
    out = []
    for i in range(spec["requests"]):
        total = 0.0
        for attempt in range(1, 2 + spec.get("retries", 0)):
            p = plan(
                i,
                seed=attempt_seed(seed, attempt),
                latency_ms=base[i] if base else spec.get("latency_ms", 0),
                jitter_ms=spec.get("jitter_ms", 0),
                failure_rate=spec.get("failure_rate", 0),
                hang_rate=spec.get("hang_rate", 0),
                reset_rate=spec.get("reset_rate", 0),
            )
            total += cut if p.outcome == "hang" else min(p.latency_s, cut)
            if p.outcome == "ok":
                break
        out.append(total)
    return out
