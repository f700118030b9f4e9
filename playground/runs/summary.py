"""A run's summary, computed from its recorded events (pure: no I/O).

Every figure comes from what was measured; only `ideal_s` is computed, from the
latencies the demo API was asked for and the strategy's formula.
"""
from playground.runs import events as ev


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(history: list[dict], *, requests: int, wall_s: float,
              ideal: tuple[float, str] | None = None, guess_ms: int | None = None) -> dict:
    """Counts, concurrency and latency figures of one run."""
    final_status: dict[int, str] = {}
    started_at: dict[tuple[int, int], float] = {}
    ok_latencies = []
    in_flight = max_in_flight = attempts = 0
    for event in history:
        kind = event["type"]
        if kind == ev.TASK_STARTED:
            started_at[(event["task"], event["attempt"])] = event["t"]
            attempts += 1
            in_flight += 1
            max_in_flight = max(max_in_flight, in_flight)
        elif kind == ev.TASK_FINISHED:
            in_flight -= 1
            final_status[event["task"]] = event["status"]
            if event["status"] == "ok":
                began = started_at.get((event["task"], event["attempt"]), event["t"])
                ok_latencies.append(event["t"] - began)
    counts = {status: 0 for status in ev.TASK_STATUSES}
    for status in final_status.values():
        counts[status] += 1
    counts["not_started"] = requests - len(final_status)
    ok_latencies.sort()
    summary = {
        "wall_s": round(wall_s, 4),
        "requests": requests,
        "attempts": attempts,
        "counts": counts,
        "max_in_flight": max_in_flight,
        "throughput_rps": round(len(final_status) / wall_s, 1) if wall_s > 0 else None,
        "p50_ms": _ms(percentile(ok_latencies, 50)),
        "p95_ms": _ms(percentile(ok_latencies, 95)),
        "ideal_s": None,
        "ideal_formula": None,
        "efficiency": None,
        "guess_s": guess_ms / 1000 if guess_ms is not None else None,
    }
    if ideal is not None:
        ideal_s, formula = ideal
        summary["ideal_s"] = round(ideal_s, 4)
        summary["ideal_formula"] = formula
        summary["efficiency"] = round(ideal_s / wall_s, 3) if wall_s > 0 else None
    summary["verdict"] = verdict(summary)
    return summary


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def verdict(s: dict) -> str | None:
    """One sentence comparing the guess, the ideal and the measured wall time."""
    wall, ideal, guess = s["wall_s"], s["ideal_s"], s["guess_s"]
    parts = []
    if ideal is not None:
        gap = wall - ideal
        if gap <= max(0.05, 0.1 * ideal):
            parts.append(f"Measured {wall:.2f} s, close to the ideal {ideal:.2f} s ({s['ideal_formula']}): "
                         "the strategy, not overhead, set the time")
        else:
            parts.append(f"Measured {wall:.2f} s against an ideal {ideal:.2f} s ({s['ideal_formula']}): "
                         f"{gap:.2f} s went to overhead, errors or waiting the formula leaves out")
    if guess is not None:
        off = guess - wall
        if abs(off) <= max(0.05, 0.1 * wall):
            parts.append(f"your guess of {guess:.2f} s was right")
        else:
            parts.append(f"your guess of {guess:.2f} s was {abs(off):.2f} s too {'high' if off > 0 else 'low'}")
    if not parts:
        return None
    return "; ".join(parts) + "."
