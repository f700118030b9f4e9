"""What a run alone in its process (runs/alone.py) costs, measured: its loop, CPU, memory, threads.

    LoopWatch  a task on the run's loop that asks to wake every LOOP_WATCH_INTERVAL_S; woken
               LOOP_BLOCKED_MIN_S or more late, the loop ran nothing meanwhile: one
               loop.blocked event {start, end}, emitted as soon as the loop runs again
    Meter      the process's CPU seconds (all its threads), how far its resident memory rose
               above where it was when the run began (its peak, VmHWM, reset at the start),
               and the most threads it had beyond those it began with

Only a process that runs one run measures that run: in a worker's shared loop, another
learner's run would be counted too (those runs have neither figure).
"""

import asyncio
import os
import re
import resource
import threading
from collections.abc import Callable

from playground import events

LOOP_WATCH_INTERVAL_S = 0.005  # how often the watch asks to wake: a stretch's ends are this precise
LOOP_BLOCKED_MIN_S = 0.02  # a shorter hold is a busy moment (a few callbacks), not a blocked loop


class LoopWatch:
    """Emits loop.blocked for each stretch the loop ran nothing; adds them up for the summary."""

    def __init__(self, *, emit: Callable[[events.Event], object], now: Callable[[], float], tick=None):
        self._emit = emit
        self._now = now
        self._tick = tick  # called on each wake (the Meter counts threads then)
        self.blocked: list[tuple[float, float]] = []
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _watch(self) -> None:
        while True:
            due = self._now() + LOOP_WATCH_INTERVAL_S
            try:
                await asyncio.sleep(LOOP_WATCH_INTERVAL_S)
            finally:
                # Also when stop() cancels it: a loop held to the run's very end (a blocking call
                # in its last task) lets the run return before this wakes, and that stretch counts.
                self._woke(due)
            if self._tick is not None:
                self._tick()

    def _woke(self, due: float) -> None:
        woke = self._now()
        if woke - due >= LOOP_BLOCKED_MIN_S:  # held from (about) when we were due until now
            self.blocked.append((due, woke))
            self._emit(events.loop_blocked(due, woke))

    def figures(self, wall_s: float) -> dict:
        spans = [end - start for start, end in self.blocked]
        blocked = sum(spans)
        return {
            "blocked_s": round(blocked, 4),
            "stretches": len(spans),
            "longest_s": round(max(spans, default=0.0), 4),
            "share": round(min(1.0, blocked / wall_s), 3) if wall_s > 0 else 0.0,
        }


def _status_kb(field: str) -> int | None:
    """A field of /proc/self/status in kB (VmRSS, VmHWM); None where there is no /proc."""
    try:
        with open("/proc/self/status") as f:
            match = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak() -> bool:
    """Make VmHWM (the resident peak) start again from now (Linux 4.0+: writing 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Meter:
    """The process's cost from start() to figures(); `sample()` notes threads (LoopWatch ticks it)."""

    def start(self) -> None:
        self._peak_reset = _reset_peak()
        self._rss0 = _status_kb("VmRSS") or 0
        self._peak_kb = self._rss0  # sampled, where the peak could not be reset
        self._threads0 = _threads()
        self._threads_peak = self._threads0
        self._cpu0 = _cpu_s()

    def sample(self) -> None:
        self._threads_peak = max(self._threads_peak, _threads())
        if not self._peak_reset:
            self._peak_kb = max(self._peak_kb, _status_kb("VmRSS") or 0)

    def figures(self) -> dict:
        self.sample()
        peak = (_status_kb("VmHWM") or self._rss0) if self._peak_reset else self._peak_kb
        return {
            "cpu_s": round(_cpu_s() - self._cpu0, 3),
            "peak_memory_mb": round(max(0, peak - self._rss0) / 1024, 1),
            "threads": self._threads_peak - self._threads0,
        }
