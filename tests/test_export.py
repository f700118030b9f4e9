"""Exports of a run: export.py on known events (pure), then GET /api/runs/<id>/export on a real Daphne."""

import csv
import io
import json

import aiohttp

from playground import events as ev
from playground.runs import export
from tests.support.tracefmt import check_trace
from tests.support.wsclient import collect_run, start_run

RUN = {"id": "0b6f2c1e-0000-4000-8000-000000000001", "spec": {"strategy": "retry"}, "status": "finished", "summary": {}}


def at(seq: int, t: float, event: dict) -> dict:
    return ev.numbered(event, seq, t)


def phase(name, start, end):
    return ev.phase(name, start, end)


# Request 0: waited for a semaphore, connected, failed (500); backed off; reused a connection, ok.
# Request 1: waited, never got its turn (cancelled while waiting). Request 2: cut off by the run's end.
EVENTS = [
    at(0, 0.0, ev.run_started(RUN["spec"], [], at=0.0)),
    at(1, 0.0, ev.task_waiting(0, 1, "semaphore")),
    at(2, 0.1, ev.task_started(0, 1)),
    at(
        3,
        0.4,
        ev.task_finished(
            0, 1, "error", 500, "ClientResponseError", [phase("connect", 0.1, 0.11), phase("wait", 0.11, 0.4)]
        ),
    ),
    at(4, 0.4, ev.task_backoff(0, 1, 0.2)),
    at(5, 0.6, ev.task_started(0, 2)),
    at(6, 0.9, ev.task_finished(0, 2, "ok", 200, None, [phase("wait", 0.6, 0.899), phase("read", 0.899, 0.9)])),
    at(7, 0.0, ev.task_waiting(1, 1, "semaphore")),
    at(8, 0.5, ev.task_finished(1, 1, "cancelled", None, "CancelledError")),
    at(9, 0.7, ev.task_started(2, 1)),
    at(10, 1.0, ev.run_finished("cancelled", None, "cancelled by the learner")),
]


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_row_per_attempt_with_each_phase_in_ms():
    table = rows(export.as_csv(EVENTS))
    assert list(table[0]) == list(export.CSV_HEADER)
    assert [(r["request"], r["attempt"], r["status"]) for r in table] == [
        ("0", "1", "error"),
        ("0", "2", "ok"),
        ("1", "1", "cancelled"),
        ("2", "1", ""),  # never finished: the run ended first
    ]
    first, retry, never, cut = table
    assert first["waiting_reason"] == "semaphore"
    assert (first["waiting_start_ms"], first["waiting_end_ms"]) == ("0.000", "100.000")
    assert (first["connect_start_ms"], first["connect_end_ms"], first["wait_end_ms"]) == (
        "100.000",
        "110.000",
        "400.000",
    )
    assert first["read_start_ms"] == "" and first["http_status"] == "500" and first["error"] == "ClientResponseError"
    assert retry["connect_start_ms"] == "" and retry["read_end_ms"] == "900.000" and retry["error"] == ""
    assert (never["waiting_end_ms"], never["wait_start_ms"]) == ("500.000", "")


def test_json_is_the_run_and_every_event():
    out = export.as_json(RUN, EVENTS)
    assert out == {**RUN, "events": EVENTS}
    assert json.loads(json.dumps(out)) == out


def test_trace_follows_the_format_one_thread_per_request_one_slice_per_phase():
    trace = export.as_trace(RUN, EVENTS)
    complete = check_trace(trace)
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    pid = export.trace_pid(RUN["id"])
    assert meta[0] == {
        "name": "process_name",
        "ph": "M",
        "pid": pid,
        "tid": 0,
        "args": {"name": f"retry · run {RUN['id']}"},
    }
    threads = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert threads == {1: "request 0", 2: "request 1", 3: "request 2"}
    request0 = [(e["name"], e["ts"], e["dur"]) for e in complete if e["tid"] == 1]
    assert request0 == [
        ("waiting: semaphore", 0.0, 100_000.0),
        ("attempt 1: error", 100_000.0, 300_000.0),
        ("connect", 100_000.0, 10_000.0),
        ("wait", 110_000.0, 290_000.0),
        ("backoff", 400_000.0, 200_000.0),
        ("attempt 2: ok", 600_000.0, 300_000.0),
        ("wait", 600_000.0, 299_000.0),
        ("read", 899_000.0, 1_000.0),
    ]
    assert [e["name"] for e in complete if e["tid"] == 2] == ["waiting: semaphore"]
    assert [(e["name"], e["dur"]) for e in complete if e["tid"] == 3] == [
        ("attempt 1: cut off by the run's end", 300_000.0)
    ]


def test_the_field_rules_catch_a_broken_trace():
    good = export.as_trace(RUN, EVENTS)
    for broken in (
        {"events": []},
        {"traceEvents": [{**good["traceEvents"][-1], "dur": -1}]},
        {"traceEvents": [{**good["traceEvents"][-1], "tid": "1"}]},
        {"traceEvents": [{"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {}}]},
        {
            "traceEvents": [  # a slice that starts inside another but ends after it
                {"name": "a", "ph": "X", "ts": 0, "dur": 10, "pid": 1, "tid": 1},
                {"name": "b", "ph": "X", "ts": 5, "dur": 10, "pid": 1, "tid": 1},
            ]
        },
    ):
        try:
            check_trace(broken)
        except AssertionError:
            continue
        raise AssertionError(f"accepted {broken}")


async def get(server, path: str) -> tuple[int, dict, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + path) as r:
            return r.status, dict(r.headers), await r.read()


async def test_the_endpoint_exports_a_real_run_in_each_format(server):
    run_id = await start_run(server, {"strategy": "gather", "requests": 3, "latency_ms": 50, "jitter_ms": 0, "seed": 1})
    events = await collect_run(server, run_id)
    status, headers, body = await get(server, f"/api/runs/{run_id}/export?format=json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert headers["Content-Disposition"] == f'attachment; filename="run-gather-{run_id}.json"'
    data = json.loads(body)
    assert data["id"] == run_id and data["status"] == "finished" and data["events"] == events
    assert data["spec"]["strategy"] == "gather" and data["summary"]["phases"]["wait"]["count"] == 3

    status, headers, body = await get(server, f"/api/runs/{run_id}/export?format=csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"].endswith(f'filename="run-gather-{run_id}.csv"')
    table = rows(body.decode())
    assert [r["request"] for r in table] == ["0", "1", "2"] and all(r["wait_start_ms"] for r in table)

    status, headers, body = await get(server, f"/api/runs/{run_id}/export?format=trace")
    assert status == 200 and headers["Content-Disposition"].endswith(f'filename="run-gather-{run_id}.trace.json"')
    complete = check_trace(json.loads(body))
    assert {e["name"] for e in complete} >= {"connect", "wait", "read"}

    status, _, body = await get(server, f"/api/runs/{run_id}/export")  # json by default
    assert status == 200 and json.loads(body)["id"] == run_id


async def test_a_bad_format_is_refused_naming_the_field_and_an_unknown_run_is_404(server):
    status, _, body = await get(server, "/api/runs/0b6f2c1e-0000-4000-8000-000000000001/export?format=xml")
    assert status == 400
    assert json.loads(body) == {"errors": {"format": ["must be one of 'json', 'csv' or 'trace'"]}}
    status, _, body = await get(server, "/api/runs/0b6f2c1e-0000-4000-8000-000000000001/export?format=csv")
    assert status == 404 and "No run with id" in json.loads(body)["error"]
