"""A run's summary, computed from its recorded events (pure: no I/O).

    the ideal (strategies/ideal.py) ---------> ideal_s, ideal_formula   (what it should take)
    recorded events   --tally()--------------> counts, in flight, latencies, retries, waiting, phases
                      --summarize()----------> the summary dict, and verdict(): one sentence

Every figure comes from what was measured; only the ideal is computed, from the
time each request was planned to take and the strategy's formula.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from playground import events as ev

REJECTED = (429, 503)  # the demo API's answers when its rate or concurrency limit is hit
# Linux retries a SYN nobody answered after 1 s (its initial retransmission timeout): a server
# whose listen queue (backlog) is full drops the SYN, so the connection takes a second or more.
SYN_RETRY_S = 0.9
# Connecting "dominates" when it took at least this share of the time requests were in flight.
CONNECT_DOMINATES = 0.5


# ---------------------------------------------------------------- what happened


@dataclass
class Tally:
    """What a run's task events add up to; `add(event)` calls the handler named after its type."""

    final: dict[int, dict] = field(default_factory=dict)  # task -> its last task.finished
    ok_latencies: list[float] = field(default_factory=list)
    attempts: int = 0
    max_in_flight: int = 0
    rejected: int = 0  # attempts answered 429 or 503
    backoff_s: float = 0.0
    waiting_s: Counter = field(default_factory=Counter)  # reason -> seconds spent waiting, all told
    waited: Counter = field(default_factory=Counter)  # reason -> how many attempts waited
    phase_s: dict[str, list[float]] = field(default_factory=dict)  # phase -> each attempt's seconds in it
    connected_s: list[float] = field(default_factory=list)  # connects that got through (a phase came after)
    _started: dict = field(default_factory=dict)  # (task, attempt) -> t
    _waiting: dict = field(default_factory=dict)  # (task, attempt) -> (t, reason), until it starts
    _in_flight: int = 0

    def add(self, e: dict) -> None:
        handler = getattr(self, e["type"].replace(".", "_"), None)  # "task.started" -> task_started
        if handler is not None:  # only task events have handlers
            handler(e, (e["task"], e["attempt"]))

    def task_waiting(self, e: dict, key) -> None:
        self._waiting.setdefault(key, (e["t"], e["reason"]))  # the first reason it waited for

    def task_started(self, e: dict, key) -> None:
        self._started[key] = e["t"]
        self.attempts += 1
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        if key in self._waiting:
            since, reason = self._waiting.pop(key)
            self.waiting_s[reason] += e["t"] - since
            self.waited[reason] += 1

    def task_finished(self, e: dict, key) -> None:
        if key in self._started:  # a request cancelled while it waited never started
            self._in_flight -= 1
        self.final[e["task"]] = e
        self.rejected += e["http_status"] in REJECTED
        phases = e.get("phases", ())  # events recorded before phases existed have none
        for i, phase in enumerate(phases):
            self.phase_s.setdefault(phase["name"], []).append(phase["end"] - phase["start"])
            if phase["name"] == "connect" and i + 1 < len(phases):  # not one a timeout cut off
                self.connected_s.append(phase["end"] - phase["start"])
        if e["status"] == "ok":
            self.ok_latencies.append(e["t"] - self._started.get(key, e["t"]))

    def task_backoff(self, e: dict, key) -> None:
        self.backoff_s += e["delay_s"]


def tally(history: list[dict]) -> Tally:
    out = Tally()
    for event in history:
        out.add(event)
    return out


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# A loop this late means timings include waiting for other learners' runs.
BUSY_LOOP_S = 0.05


def summarize(
    history: list[dict],
    *,
    requests: int,
    wall_s: float,
    ideal: tuple[float, str] | None = None,
    guess_ms: int | None = None,
    loop_lag_s: float = 0.0,
    loop: dict | None = None,
    cost: dict | None = None,
) -> dict:
    """Counts, concurrency, latency, retry and waiting figures of one run; `loop` and `cost`
    (runs/meter.py) only for a run alone in its process."""
    t = tally(history)
    counts = Counter({status: 0 for status in ev.TASK_STATUSES})
    counts.update(e["status"] for e in t.final.values())
    latencies = sorted(t.ok_latencies)
    summary: dict[str, Any] = {
        "wall_s": round(wall_s, 4),
        "requests": requests,
        "attempts": t.attempts,
        "counts": {**counts, "not_started": requests - len(t.final)},
        "max_in_flight": t.max_in_flight,
        "throughput_rps": round(len(t.final) / wall_s, 1) if wall_s > 0 else None,
        "p50_ms": _ms(percentile(latencies, 50)),
        "p95_ms": _ms(percentile(latencies, 95)),
        "retries": sum(e["attempt"] - 1 for e in t.final.values()),
        "backoff_s": round(t.backoff_s, 3),
        "rejected": t.rejected,
        "waiting": {
            reason: {"waits": t.waited[reason], "mean_s": round(s / t.waited[reason], 3)}
            for reason, s in t.waiting_s.most_common()
        },
        # Deadline cut-offs: fetch records a request cancelled after the deadline as a
        # timeout whose error is the CancelledError; a per-request timeout is a TimeoutError.
        "cut_by_deadline": sum(e["status"] == "timeout" and e["error"] == "CancelledError" for e in t.final.values()),
        "ideal_s": None,
        "ideal_formula": None,
        "efficiency": None,
        "guess_s": guess_ms / 1000 if guess_ms is not None else None,
        "loop_lag_ms": _ms(loop_lag_s),
        "phases": phase_figures(t.phase_s, t.connected_s),
        "loop": loop,  # {blocked_s, stretches, longest_s, share}: its event loop, held
        "cost": cost,  # {cpu_s, peak_memory_mb, threads}: its process's, while it ran
    }
    if ideal is not None:
        ideal_s, formula = ideal
        summary.update(
            ideal_s=round(ideal_s, 4),
            ideal_formula=formula,
            efficiency=round(ideal_s / wall_s, 3) if wall_s > 0 else None,
        )
    summary["verdict"] = verdict(summary)
    return summary


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def phase_figures(phase_s: dict[str, list[float]], connected_s: Sequence[float] = ()) -> dict[str, dict]:
    """Per phase, in order: how many attempts went through it, their total, mean and p95; for
    connecting, also how many connections got through only after a SYN retry (`slow`): a
    connect a timeout cut off says nothing of the server's backlog."""
    out: dict[str, dict[str, Any]] = {}
    for name in ev.PHASES:
        spans = sorted(phase_s.get(name, ()))
        if spans:
            out[name] = {
                "count": len(spans),
                "total_s": round(sum(spans), 3),
                "mean_ms": _ms(sum(spans) / len(spans)),
                "p95_ms": _ms(percentile(spans, 95)),
                "max_ms": _ms(spans[-1]),
            }
    if "connect" in out:
        out["connect"]["slow"] = sum(span >= SYN_RETRY_S for span in connected_s)
    return out


# ---------------------------------------------------------------- the verdict


def verdict(s: dict) -> str | None:
    """One sentence: measured against the ideal and the guess, and what made the difference."""
    parts = []
    if s["ideal_s"] is not None:
        parts.append(_against_ideal(s))
    if s["guess_s"] is not None:
        parts.append(_against_guess(s["guess_s"], s["wall_s"]))
    if connecting := _connecting(s.get("phases") or {}):
        parts.append(connecting)
    if blocked := _blocked(s.get("loop")):
        parts.append(blocked)
    # A run alone has a loop of its own (its `loop` figures): late, it held itself up.
    if s.get("loop") is None and (s.get("loop_lag_ms") or 0) >= BUSY_LOOP_S * 1000:
        parts.append(
            f"the worker running it was busy (its event loop ran up to {s['loop_lag_ms']:.0f} ms late), "
            "so these times include waiting for other work: run again when it is quieter"
        )
    if not parts:
        return None
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.05, 0.1 * b)


def _against_ideal(s: dict) -> str:
    wall, ideal = s["wall_s"], s["ideal_s"]
    head = f"Measured {wall:.2f} s against an ideal {ideal:.2f} s ({s['ideal_formula']})"
    causes = _causes(s)
    if _close(wall, ideal):
        text = f"{head}: the strategy itself set the time"
        return text + (f", with {causes}" if causes else "")
    if wall < ideal:
        undone = s["requests"] - s["counts"]["ok"] - s["counts"]["error"]
        return f"{head}: the run ended early, {undone:,} of {s['requests']:,} requests unfinished"
    return f"{head}: {wall - ideal:.2f} s more, from {causes or 'overhead (connections, scheduling)'}"


def _causes(s: dict) -> str:
    """What the time went to, in plain words, biggest effects first."""
    c, out = s["counts"], []
    if s["retries"]:
        out.append(f"{_count(s['retries'], 'retry', 'retries')} after {s['backoff_s']:.2f} s of backoff")
    if s["rejected"]:
        out.append(f"{_count(s['rejected'], 'answer', 'answers')} of 429/503 from the server's limits")
    if c["timeout"]:
        out.append(_count(c["timeout"], "timeout", "timeouts"))
    if c["error"]:
        out.append(_count(c["error"], "error", "errors"))
    for reason, waited in s["waiting"].items():
        if waited["mean_s"] >= 0.01:
            out.append(
                f"{_count(waited['waits'], 'wait', 'waits')} of "
                f"{waited['mean_s']:.2f} s on average for {ev.WAIT_WORDS.get(reason, reason)}"
            )
    return ", ".join(out)


def _connecting(phases: dict) -> str | None:
    """Connecting, named when it took most of the time in flight or when connections took a SYN retry."""
    connect = phases.get("connect")
    if connect is None:
        return None
    share = connect["total_s"] / (sum(p["total_s"] for p in phases.values()) or 1)
    if share < CONNECT_DOMINATES and not connect["slow"]:
        return None
    text = (
        f"connecting took {share:.0%} of the time requests were in flight "
        f"({_count(connect['count'], 'new connection', 'new connections')}, {connect['mean_ms']:,.0f} ms on average)"
    )
    if connect["slow"]:
        text += (
            f"; {connect['slow']:,} took {SYN_RETRY_S:g} s or more: the server's listen queue (its backlog) was "
            "full, so their first SYN was dropped and sent again a second later (TCP's retry)"
        )
    return text


# The loop held for this share of the run or more is worth a sentence of its own.
BLOCKED_NOTABLE = 0.2


def _blocked(loop: dict | None) -> str | None:
    """The event loop, named when something held it for a good part of the run."""
    if not loop or loop["share"] < BLOCKED_NOTABLE:
        return None
    return (
        f"the event loop was blocked {loop['share']:.0%} of the run ({loop['blocked_s']:.2f} s in "
        f"{_count(loop['stretches'], 'stretch', 'stretches')}, the longest {loop['longest_s'] * 1000:,.0f} ms): "
        "code that runs without awaiting (a blocking call, heavy work, or starting many requests at once) "
        "holds it, and no other task runs meanwhile"
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _against_guess(guess: float, wall: float) -> str:
    if _close(guess, wall):
        return f"your guess of {guess:.2f} s was right"
    off = guess - wall
    return f"your guess of {guess:.2f} s was {abs(off):.2f} s too {'high' if off > 0 else 'low'}"
