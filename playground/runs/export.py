"""A run, exported: its spec and recorded events as JSON, CSV or a Chrome trace (pure: no I/O).

    run (id, spec, status, summary) + events --as_json()--> {"id", "spec", "status", "summary", "events"}
                                             --as_csv()---> one row per attempt, each phase's start and end in ms
                                             --as_trace()-> {"traceEvents": [...]}: Perfetto, chrome://tracing

The trace follows the Trace Event Format (Google's published document): the run is a
process (pid, named by a "process_name" metadata event), each request a thread ("request
N"), each attempt a complete event ("ph": "X", ts and dur in microseconds) holding one
slice per phase: waiting (named by what it waited for), connect, wait, read; a back-off
is a slice of its own.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from playground import events as ev

Format = Literal["json", "csv", "trace"]
FORMATS: tuple[Format, ...] = get_args(Format)
WAIT_WORDS: dict[str, str] = ev.vocabulary()["wait_words"]
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "trace": "application/json"}
# The CSV's phases, in the order a request goes through them: waiting, then those of events.PHASES.
CSV_PHASES = ("waiting", *ev.PHASES)
CSV_HEADER = (
    "request",
    "attempt",
    "waiting_reason",
    *(f"{phase}_{edge}_ms" for phase in CSV_PHASES for edge in ("start", "end")),
    "status",
    "http_status",
    "error",
)


@dataclass
class Attempt:
    """One attempt of one request, as its events tell it (seconds on the run's clock)."""

    request: int
    number: int
    waiting: tuple[float, str] | None = None  # (since, reason)
    started: float | None = None
    finished: dict | None = None  # its task.finished
    backoff: tuple[float, float] | None = None  # (from, seconds) before the next attempt
    phases: list[dict] = field(default_factory=list)
    cut_at: float = 0.0  # the run's last event: where an attempt that never finished stops

    @property
    def end(self) -> float:
        return self.finished["t"] if self.finished else self.cut_at

    @property
    def waiting_span(self) -> tuple[float, float] | None:
        """From waiting to its turn: the start, or its end when it never started."""
        if self.waiting is None:
            return None
        return self.waiting[0], self.started if self.started is not None else self.end


def attempts(events: list[dict]) -> list[Attempt]:
    """Every attempt the events record, by request then attempt."""
    found: dict[tuple[int, int], Attempt] = {}
    for e in events:
        if not e["type"].startswith("task."):
            continue
        key = (e["task"], e["attempt"])
        a = found.setdefault(key, Attempt(*key))
        if e["type"] == ev.TASK_WAITING and a.waiting is None:
            a.waiting = (e["t"], e["reason"])
        elif e["type"] == ev.TASK_STARTED and a.started is None:
            a.started = e["t"]
        elif e["type"] == ev.TASK_FINISHED:
            a.finished = e
            a.phases = list(e.get("phases") or [])
        elif e["type"] == ev.TASK_BACKOFF:
            a.backoff = (e["t"], e["delay_s"])
    last = max((e["t"] for e in events), default=0.0)
    for a in found.values():
        a.cut_at = last
    return [found[key] for key in sorted(found)]


def as_json(run: dict, events: list[dict]) -> dict[str, Any]:
    """`run`: {"id", "spec", "status", "summary"}; the export is the run and every event."""
    return {
        "id": str(run["id"]),
        "spec": run["spec"],
        "status": run["status"],
        "summary": run["summary"],
        "events": events,
    }


def as_csv(events: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for a in attempts(events):
        spans: dict[str, tuple[float, float] | None] = {p["name"]: (p["start"], p["end"]) for p in a.phases}
        spans["waiting"] = a.waiting_span
        end = a.finished or {}
        writer.writerow(
            [
                a.request,
                a.number,
                a.waiting[1] if a.waiting else "",
                *(_ms(edge) for phase in CSV_PHASES for edge in (spans.get(phase) or (None, None))),
                end.get("status", ""),
                _blank(end.get("http_status")),
                _blank(end.get("error")),
            ]
        )
    return out.getvalue()


def _ms(t: float | None) -> str:
    return "" if t is None else f"{t * 1000:.3f}"


def _blank(value) -> str:
    return "" if value is None else str(value)


def trace_pid(run_id) -> int:
    """The run's process id in the trace: from its UUID, so two runs' traces can be opened together."""
    return int(str(run_id).replace("-", "")[:7], 16) + 1


def as_trace(run: dict, events: list[dict]) -> dict[str, Any]:
    pid = trace_pid(run["id"])
    strategy = run["spec"].get("strategy", "run")
    out: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": f"{strategy} · run {run['id']}"}}
    ]
    named: set[int] = set()
    for a in attempts(events):
        tid = a.request + 1  # tid 0 is the process's own; request N is thread N + 1
        if a.request not in named:
            named.add(a.request)
            out.append(
                {"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": f"request {a.request}"}}
            )
            out.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid, "args": {"sort_index": tid}})
        out += _attempt_slices(a, pid, tid)
    return {"traceEvents": out, "displayTimeUnit": "ms", "otherData": {"run": str(run["id"]), "strategy": strategy}}


def _attempt_slices(a: Attempt, pid: int, tid: int) -> list[dict[str, Any]]:
    def complete(name: str, cat: str, start: float, end: float, args: dict | None = None) -> dict[str, Any]:
        ts = round(start * 1e6, 3)
        slice_ = {"name": name, "cat": cat, "ph": "X", "ts": ts, "dur": max(0.0, round(end * 1e6, 3) - ts)}
        return {**slice_, "pid": pid, "tid": tid, "args": args or {}}

    out = []
    if (span := a.waiting_span) is not None:
        assert a.waiting is not None  # a waiting span comes from a wait
        reason = a.waiting[1]
        out.append(complete(f"waiting: {reason}", "waiting", *span, {"for": WAIT_WORDS.get(reason, reason)}))
    if a.started is not None or a.phases:
        # The attempt encloses its phases (a pooled request starts on its connection's first
        # microsecond, so the phases decide where it begins if they begin first).
        start = min([a.end if a.started is None else a.started, *(p["start"] for p in a.phases)])
        end = max([a.end, *(p["end"] for p in a.phases)])
        f = a.finished or {"status": "cut off by the run's end", "http_status": None, "error": None}
        args = {"status": f["status"], "http_status": f["http_status"], "error": f["error"]}
        out.append(complete(f"attempt {a.number}: {f['status']}", "attempt", start, end, args))
        out += [complete(p["name"], "phase", p["start"], p["end"]) for p in a.phases]
    if a.backoff is not None:
        since, delay = a.backoff
        out.append(complete("backoff", "backoff", since, since + delay, {"delay_s": delay}))
    return out


def filename(run: dict, fmt: str) -> str:
    """`run-<strategy>-<id>.json`, `.csv`, or `.trace.json` (what Perfetto's file picker expects)."""
    extension = {"json": "json", "csv": "csv", "trace": "trace.json"}[fmt]
    return f"run-{run['spec'].get('strategy', 'run')}-{run['id']}.{extension}"
