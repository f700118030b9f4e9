"""What a run alone in its process (runs/alone.py) costs, measured: its loop, CPU, memory, threads.

    LoopWatch  a task on the run's loop that asks to wake every LOOP_WATCH_INTERVAL_S; woken
               LOOP_BLOCKED_MIN_S or more late, the loop ran nothing meanwhile: one
               loop.blocked event {start, end}, emitted as soon as the loop runs again. Time
               the loop's thread only waited for a core (a busy machine, not the run's code:
               the kernel's run-queue wait, /proc/thread-self/schedstat) is not counted as held.
    Meter      the process's CPU seconds (all its threads: the strategy's, and the playground's
               own recording of its events), how far its resident memory rose above where it
               was when the run began (its peak, VmHWM, reset at the start), and the most
               threads it had beyond those it began with (a sampling thread of its own)

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

    def __init__(self, *, emit: Callable[[events.Event], object], now: Callable[[], float]):
        self._emit = emit
        self._now = now
        self.blocked: list[tuple[float, float]] = []
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def cancel(self) -> None:
        """Stop watching without waiting (a run ending in an error)."""
        if self._task is not None:
            self._task.cancel()

    async def _watch(self) -> None:
        while True:
            due = self._now() + LOOP_WATCH_INTERVAL_S
            waited = _run_queue_wait_s()
            try:
                await asyncio.sleep(LOOP_WATCH_INTERVAL_S)
            finally:
                # Also when stop() cancels it: a loop held to the run's very end (a blocking call
                # in its last task) lets the run return before this wakes, and that stretch counts.
                self._woke(due, waited)

    def _woke(self, due: float, waited: float) -> None:
        woke = self._now()
        held = woke - due - (_run_queue_wait_s() - waited)  # less the time it only waited for a core
        if held >= LOOP_BLOCKED_MIN_S:  # held from (about) when we were due until now
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


def _run_queue_wait_s() -> float:
    """Seconds this thread has waited for a core so far (0 where the kernel does not say)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


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


SAMPLE_INTERVAL_S = 0.01  # how often the Meter's thread counts threads (and memory, without VmHWM)


class Meter:
    """The process's cost from start() to figures(); a thread of its own samples in between."""

    def start(self) -> None:
        self._stop = threading.Event()
        self._peak_reset = _reset_peak()
        self._rss0 = _status_kb("VmRSS") or 0
        self._peak_kb = self._rss0  # sampled, where the peak could not be reset
        self._threads_peak = 0
        threading.Thread(target=self._sample_until_stopped, name="meter", daemon=True).start()
        self._threads0 = _threads()  # after the sampler started: the meter's own thread is not the run's
        self._threads_peak = max(self._threads_peak, self._threads0)
        self._cpu0 = _cpu_s()

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self.sample()

    def sample(self) -> None:
        self._threads_peak = max(self._threads_peak, _threads())
        if not self._peak_reset:
            self._peak_kb = max(self._peak_kb, _status_kb("VmRSS") or 0)

    def stop(self) -> None:
        self._stop.set()

    def figures(self) -> dict:
        """The cost so far; stops the sampling."""
        self._stop.set()
        self.sample()
        peak = (_status_kb("VmHWM") or self._rss0) if self._peak_reset else self._peak_kb
        return {
            "cpu_s": round(_cpu_s() - self._cpu0, 3),
            "peak_memory_mb": round(max(0, peak - self._rss0) / 1024, 1),
            "threads": self._threads_peak - self._threads0,
        }
