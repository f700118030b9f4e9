"""Runs one strategy against the demo API, measures it, and emits its events.

    execute(spec) -> run.started -> strategy(api, n) -> [task.* events from api] -> run.finished

No Django here: the caller hands in a Recorder (which stores and sends) and
gets back the end status and summary.
"""
import asyncio
from dataclasses import dataclass

import aiohttp

from playground.runs import events
from playground.runs.summary import summarize
from playground.strategies import STRATEGIES
from playground.strategies.api import Api


@dataclass(frozen=True)
class Limits:
    connection_limit: int  # aiohttp's TCPConnector limit, stated, never its default of 100
    request_timeout_s: float  # safety net for every request
    max_run_s: float  # the run is cancelled past this


@dataclass(frozen=True)
class Outcome:
    status: str  # finished | failed | cancelled
    summary: dict
    error: str | None


def planned_latencies(spec: dict) -> list[float]:
    """Each request's latency in seconds, as the demo API will apply it."""
    from playground.demoapi.server import plan

    n, base = spec["requests"], spec.get("latencies_ms")
    return [
        plan(
            i,
            seed=spec.get("seed", 0),
            latency_ms=base[i] if base else spec.get("latency_ms", 0),
            jitter_ms=spec.get("jitter_ms", 0),
            failure_rate=spec.get("failure_rate", 0),
            hang_rate=spec.get("hang_rate", 0),
            reset_rate=spec.get("reset_rate", 0),
        ).latency_s
        for i in range(n)
    ]


async def execute(*, spec: dict, url: str, key: str, recorder: events.Recorder, limits: Limits) -> Outcome:
    """Run `spec` to the end; every request's events go through `recorder`."""
    strategy = STRATEGIES[spec["strategy"]]
    recorder.emit(events.run_started(spec))
    status, error = "finished", None
    connector = aiohttp.TCPConnector(limit=limits.connection_limit)
    timeout = aiohttp.ClientTimeout(total=limits.request_timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        api = Api(session=session, url=url, spec=spec, emit=recorder.emit, key=key)
        began = recorder.now()
        try:
            async with asyncio.timeout(limits.max_run_s):
                await strategy.run(api, spec["requests"], spec)
        except TimeoutError:
            status, error = "cancelled", f"ran longer than the {limits.max_run_s:g} s a run may take"
        except asyncio.CancelledError:
            status, error = "cancelled", "cancelled by the learner"
            asyncio.current_task().uncancel()
        except Exception as exc:  # the strategy raised: that is a result, not a crash
            status, error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        wall_s = recorder.now() - began
        await api.close()
    summary = summarize(
        recorder.history,
        requests=spec["requests"],
        wall_s=wall_s,
        ideal=strategy.ideal(planned_latencies(spec), spec),
        guess_ms=spec.get("guess_ms"),
    )
    recorder.emit(events.run_finished(status, summary, error))
    return Outcome(status, summary, error)
