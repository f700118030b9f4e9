"""Runs one strategy against the demo API, measures it, and emits its events.

    execute(spec) -> run.started {spec, code} -> wire(api, spec, strategy) -> [task.* events
                     from api] -> run.finished {status, error, summary}

`code` in run.started is every piece of code the run runs (strategy, guards,
wiring, fetch), so a replayed run shows what ran for it. No Django here: the
caller hands in a Recorder (which stores and sends) and gets back the outcome.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from playground import events
from playground.runs.meter import LoopWatch, Meter
from playground.runs.recorder import Recorder
from playground.runs.summary import summarize
from playground.runs.targets import PinnedResolver, Target, allowlist_guard, blocking_opener
from playground.strategies import STRATEGIES, wire
from playground.strategies.api import Api
from playground.strategies.ideal import ideal_time, planned_durations
from playground.strategies.phases import TimedConnector, TimedRequest


@dataclass(frozen=True)
class Limits:
    connection_limit: int  # aiohttp's TCPConnector limit, stated, never its default of 100
    request_timeout_s: float  # safety net for every request
    max_run_s: float  # the run is cancelled past this


# key (the run id) -> the Api of a run executing in this process, for abort_requests()
APIS: dict[str, Api] = {}


def abort_requests(key: str) -> None:
    """From any thread: end the run's blocking requests in flight at once (a cancel); its loop,
    held by one of them, then runs again. A no-op for a run not here."""
    if (api := APIS.get(key)) is not None:
        api.cancel_blocking()


def abort_past_limit(key: str) -> bool:
    """From any thread: once the run's time limit has passed (its loop may be held, so that
    asyncio cannot fire it), end its blocking requests, noting why. True if it did."""
    api = APIS.get(key)
    if api is None or api.limit_at is None or time.monotonic() < api.limit_at:
        return False
    api.cut_by_limit = True
    api.cancel_blocking()
    return True


@dataclass(frozen=True)
class Outcome:
    status: str  # finished | failed | cancelled
    summary: dict
    error: str | None


def uncancel() -> None:
    """Take back a cancel this task has caught and turned into a result."""
    task = asyncio.current_task()
    assert task is not None  # only ever called from inside a coroutine
    task.uncancel()


def describe_error(exc: BaseException) -> str:
    """`Type: message`; for an ExceptionGroup, also the first error inside it."""
    text = f"{type(exc).__name__}: {exc}"
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
        text += f" -- first: {type(exc).__name__}: {exc}"
    return text[:500]


async def run_strategy(api: Api, spec: dict, limits: Limits) -> tuple[str, str | None]:
    """(status, error) of running the spec's strategy with its guards."""
    try:
        async with asyncio.timeout(limits.max_run_s) as run_limit:
            api.limit_at = run_limit.when()  # the loop's clock is time.monotonic
            await wire(api, spec, STRATEGIES[spec["strategy"]])
    except asyncio.CancelledError:
        uncancel()
        if api.cut_by_limit:  # ended at the time limit (runs/alone.py), its loop too held to fire it
            return "cancelled", f"ran longer than the {limits.max_run_s:g} s a run may take"
        return "cancelled", "cancelled by the learner"
    except TimeoutError as exc:
        if run_limit.expired():
            return "cancelled", f"ran longer than the {limits.max_run_s:g} s a run may take"
        if api.deadline_passed():
            return "deadline", None  # the run's own deadline: an end, not a failure
        return "failed", describe_error(exc)
    except Exception as exc:  # the strategy raised: that is a result, not a crash
        return "failed", describe_error(exc)
    return "finished", None


async def execute(
    *,
    spec: dict,
    target: Target,
    key: str,
    recorder: Recorder,
    limits: Limits,
    allowed: list[Target] | None = None,
    strategy_done: Callable[[], object] | None = None,
) -> Outcome:
    """Run `spec` against `target` to the end; every request's events go through `recorder`.

    Requests stay within `allowed` (default: the target alone): host names resolve
    only to their allowed addresses, and a redirect elsewhere is refused unsent.
    `strategy_done` is called the moment the strategy is over: a cancel after it is too late.
    """
    strategy = STRATEGIES[spec["strategy"]]
    recorder.emit(events.run_started(spec, strategy.shown_source(spec)))
    allowed = allowed or [target]
    resolver = PinnedResolver(allowed)
    connector = TimedConnector(limit=limits.connection_limit, resolver=resolver)
    timeout = aiohttp.ClientTimeout(total=limits.request_timeout_s)
    guards = (allowlist_guard(allowed),)
    # Its connector and request class time each request's phases (strategies/phases.py).
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, middlewares=guards, request_class=TimedRequest
    ) as session:
        api = Api(
            session=session,
            target=target,
            spec=spec,
            emit=recorder.emit,
            key=key,
            now=recorder.now,
            resolver=resolver,
            middlewares=guards,
            opener=blocking_opener(allowed),  # the same allowlist for the blocking client (urllib)
            safety_timeout_s=limits.request_timeout_s,
        )
        # Alone in its process (runs/alone.py), the process's figures are the run's own.
        meter = Meter() if spec.get("own_process") else None
        watch = LoopWatch(emit=recorder.emit, now=recorder.now) if meter else None
        APIS[key] = api
        try:
            if meter and watch:
                meter.start()
                watch.start()
                await asyncio.sleep(0)  # the watch notes when it is due before the strategy can block
            began = recorder.now()
            status, error = await run_strategy(api, spec, limits)
            wall_s = recorder.now() - began
            if strategy_done is not None:
                strategy_done()
            loop_figures = cost = None
            if meter and watch:  # what the run cost, not its closing and its summary
                await watch.stop()
                loop_figures, cost = watch.figures(wall_s), meter.figures()
            await api.close()
        finally:
            APIS.pop(key, None)
            if watch and meter:  # stopped already, unless the run ended in an error of ours
                watch.cancel()
                meter.stop()
    # Synchronous on purpose (~0.1 s for 10,000 requests, more with many retries): an
    # await here would be one more place where a late cancel skips run.finished.
    # The ideal needs each request's planned latency: only the demo API's are known.
    ideal = (
        ideal_time(strategy.ideal, planned_durations(spec, limits.request_timeout_s), spec, strategy.params)
        if target.demo
        else None
    )
    summary = summarize(
        recorder.history,
        requests=spec["requests"],
        wall_s=wall_s,
        ideal=ideal,
        guess_ms=spec.get("guess_ms"),
        loop_lag_s=recorder.max_lag_s,
        loop=loop_figures,
        cost=cost,
    )
    if status == "deadline":
        cut = summary["cut_by_deadline"] + summary["counts"]["not_started"]
        status, error = (
            "finished",
            (f"the {spec['deadline_ms']:,} ms deadline cut {cut:,} of {spec['requests']:,} requests off"),
        )
    recorder.emit(events.run_finished(status, summary, error))
    return Outcome(status, summary, error)
