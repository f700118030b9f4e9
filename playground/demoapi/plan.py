"""The demo API's plan: what request `i` of a seed does, decided before it is asked.

    plan(i, seed, latency_ms, jitter_ms, failure_rate, hang_rate, reset_rate) -> Plan(latency_s, outcome)

Pure and deterministic: the demo server (server.py) acts it out, and the ideal
(strategies/ideal.py) reads it to say how long a run should take. No aiohttp here.
"""

import random
from typing import Literal, NamedTuple

Outcome = Literal["ok", "failure", "hang", "reset"]


class Plan(NamedTuple):
    """What one request will do: wait `latency_s`, then `outcome`."""

    latency_s: float
    outcome: Outcome


def plan(
    i: int,
    seed: int,
    latency_ms: float,
    jitter_ms: float = 0.0,
    failure_rate: float = 0.0,
    hang_rate: float = 0.0,
    reset_rate: float = 0.0,
) -> Plan:
    """Decide request `i` of `seed`; the same arguments always give the same plan.

    The draws come in a fixed order (jitter, fail, hang, reset) and are independent,
    so raising failure_rate never reshuffles which requests hang or reset.
    """
    if not (jitter_ms or failure_rate or hang_rate or reset_rate):
        # Nothing to draw (each draw could only give this): no generator, whose seeding from a
        # string is most of a plan's cost (the ideal plans every request of a run; this server, each).
        return Plan(max(0.0, latency_ms) / 1000.0, "ok")
    rng = random.Random(f"{seed}:{i}")
    jitter = rng.uniform(-jitter_ms, jitter_ms)
    u_fail, u_hang, u_reset = rng.random(), rng.random(), rng.random()
    latency_s = max(0.0, latency_ms + jitter) / 1000.0
    if u_reset < reset_rate:
        return Plan(latency_s, "reset")
    if u_hang < hang_rate:
        return Plan(latency_s, "hang")
    if u_fail < failure_rate:
        return Plan(latency_s, "failure")
    return Plan(latency_s, "ok")
