"""The event path survives its own failures.

A store that fails is tried again and loses nothing; one that keeps failing ends the run
truthfully (failed, with the reason, after the last stored event), keeps what was stored,
closes the Run row and gives every watcher an end. First the Recorder alone, through its
own start/close; then whole runs (lifecycle.run_launch) on the real database, whose event
table a second connection really locks (tests/support/dblock.py).
"""

import logging

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django_tasks_db.models import DBTaskResult

from playground import events
from playground.routing import websocket_urlpatterns
from playground.runs import lifecycle
from playground.runs.eventstore import events_after
from playground.runs.models import Event, Run
from playground.runs.recorder import STORE_ATTEMPTS, Recorder
from tests.support.dblock import TableLock
from tests.support.demoapi import until
from tests.support.runs import run_ended

GIVE_UP_S = 10  # the Recorder gives up after 0.7 s of pauses; past this it never will
SOCKET_TIMEOUT_S = 10


class FlakyStore:
    """An in-memory store (Recorder unit tests, no database): fails while `failing` is set."""

    def __init__(self):
        self.failing = False
        self.attempts = 0
        self.stored: list[dict] = []
        self.published: list[dict] = []
        self.order: list[tuple[str, int]] = []

    async def store(self, batch):
        self.attempts += 1
        if self.failing:
            raise OSError("disk full")
        self.stored.extend(batch)
        self.order.append(("store", batch[0]["seq"]))

    async def publish(self, batch):
        self.published.extend(batch)
        self.order.append(("publish", batch[0]["seq"]))


def recorder_for(store: FlakyStore, **kw) -> Recorder:
    return Recorder(store=store.store, publish=store.publish, interval=0.01, batch_max=500, **kw)


async def test_a_store_that_fails_once_is_tried_again_and_loses_nothing():
    s = FlakyStore()
    rec = recorder_for(s)
    rec.start()
    rec.emit(events.task_started(0, 1))
    await until(lambda: s.stored)
    s.failing = True
    rec.emit(events.task_started(1, 1))
    await until(lambda: s.attempts >= 3)  # the second batch failed once
    s.failing = False
    rec.emit(events.task_started(2, 1))  # the periodic flush goes on after the failure
    await until(lambda: len(s.published) == 3)
    rec.emit(events.run_finished("finished", {}))
    await rec.close()
    assert [e["seq"] for e in s.stored] == [0, 1, 2, 3], "every event stored once, in order"
    assert s.published == s.stored and rec.failure is None
    stores = [seq for kind, seq in s.order if kind == "store"]
    assert all(s.order.index(("store", q)) < s.order.index(("publish", q)) for q in stores)


async def test_a_store_that_keeps_failing_stops_storing_tells_the_owner_and_can_end_the_run():
    s = FlakyStore()
    failures = []
    rec = recorder_for(s, on_failure=failures.append)
    rec.start()
    rec.emit(events.run_started({"strategy": "gather"}, []))
    await until(lambda: s.stored)
    s.failing = True
    rec.emit(events.task_started(0, 1))
    await until(lambda: failures, timeout=GIVE_UP_S)
    assert s.attempts == 1 + STORE_ATTEMPTS and isinstance(rec.failure, OSError)
    s.failing = False
    rec.emit(events.task_started(1, 1))  # a later batch is never stored after one that was not
    await rec.close()
    assert [e["seq"] for e in s.stored] == [0] and failures == [rec.failure]
    assert await rec.abandon(events.run_finished("failed", None, "could not store events"))
    assert [(e["seq"], e["type"]) for e in s.stored] == [(0, "run.started"), (1, "run.finished")]
    assert s.published == s.stored, "the end is stored, then sent: gapless in both places"


async def test_an_end_that_cannot_be_stored_is_still_sent():
    s = FlakyStore()
    rec = recorder_for(s)
    s.failing = True
    rec.emit(events.run_started({"strategy": "gather"}, []))
    await rec.close()  # no periodic flush: close() itself meets the failure
    assert isinstance(rec.failure, OSError) and s.stored == []
    assert not await rec.abandon(events.run_finished("failed", None, "could not store events"))
    assert [(e["seq"], e["type"]) for e in s.published] == [(0, "run.finished")]


async def test_a_failed_publish_is_not_fatal():
    # Stored already, a batch that could not be sent is refilled from the database by
    # the socket that misses it; the flushing goes on.
    s = FlakyStore()
    sent = []

    async def publish(batch):
        if not sent:
            sent.append(None)
            raise ConnectionError("channel layer gone")
        sent.extend(batch)

    rec = Recorder(store=s.store, publish=publish, interval=0.01, batch_max=500)
    rec.start()
    rec.emit(events.task_started(0, 1))
    await until(lambda: sent)
    rec.emit(events.task_started(1, 1))
    await until(lambda: len(sent) == 2)
    await rec.close()
    assert [e["seq"] for e in s.stored] == [0, 1] and rec.failure is None
    assert [e["seq"] for e in sent[1:]] == [1]


# --- Whole runs on the real database -------------------------------------------------


@pytest.fixture
def lock():
    held = TableLock()
    yield held
    held.close()


def stored_events(run_id) -> list[dict]:
    return events_after(run_id=run_id, after=-1)


def logged(caplog, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records if r.name == "playground.runs.recorder")


async def watch(run_id, after: int = -1) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/runs/{run_id}/?after={after}")
    connected, _ = await socket.connect(timeout=SOCKET_TIMEOUT_S)
    assert connected
    return socket


async def read_to_end(socket: WebsocketCommunicator) -> list[dict]:
    """Events from `socket` until run.finished; TimeoutError if the end never comes."""
    got: list[dict] = []
    while not got or got[-1]["type"] != "run.finished":
        message = await socket.receive_json_from(timeout=SOCKET_TIMEOUT_S)
        assert message["type"] == "events", message
        got += message["events"]
    await socket.disconnect()
    return got


def assert_gapless(evts: list[dict]) -> None:
    assert [e["seq"] for e in evts] == list(range(len(evts)))


@pytest.mark.django_db(transaction=True)
async def test_a_run_whose_store_fails_once_finishes_with_every_event_stored_once(demo_api, lock, caplog):
    caplog.set_level(logging.WARNING, logger="playground.runs.recorder")
    await lock.acquire()  # the first batch (run.started) meets the lock
    spec = {"strategy": "sequential", "requests": 5, "latency_ms": 20}
    run = await lifecycle.run_launch(spec=spec, owner="flaky-store")
    socket = await watch(run.id)
    await until(lambda: logged(caplog, "trying again"))
    lock.release()
    live = await read_to_end(socket)
    await run_ended(run.id, GIVE_UP_S)
    stored = stored_events(run.id)
    assert_gapless(stored)
    assert live == stored, "the watcher got every event once, as stored"
    assert (stored[-1]["type"], stored[-1]["status"]) == ("run.finished", "finished")
    assert stored[-1]["summary"]["counts"]["ok"] == 5
    assert not logged(caplog, "giving up")
    assert (await Run.objects.aget(id=run.id)).status == "finished"


@pytest.mark.django_db(transaction=True)
async def test_a_run_that_cannot_be_marked_running_at_once_is_tried_again_and_runs(demo_api, caplog):
    """Another connection reading the runs table makes SQLite's shared cache refuse the update
    that marks a run running, at once: the run begins once the read is over, and runs to its end."""
    caplog.set_level(logging.WARNING, logger="playground.runs.lifecycle")
    reader = TableLock(table="runs_run")
    try:
        run = await lifecycle.run_launch(spec={"strategy": "gather", "requests": 3}, owner="busy-runs-table")
        await reader.acquire()  # its first try does not yield: held before the worker can begin the run
        await until(lambda: any("trying again" in r.getMessage() for r in caplog.records))
        reader.release()
    finally:
        reader.close()
    await run_ended(run.id, GIVE_UP_S)
    stored = stored_events(run.id)
    assert_gapless(stored)
    assert (stored[-1]["type"], stored[-1]["status"]) == ("run.finished", "finished")
    assert (await Run.objects.aget(id=run.id)).status == "finished"


@pytest.mark.django_db(transaction=True)
async def test_a_run_the_database_never_lets_begin_ends_failed_within_a_sweep_saying_why(demo_api, caplog):
    """Every try to mark it running refused, the job fails: the run is closed failed, with the
    reason on its timeline, by the worker's next sweep -- not left queued until it is too old."""
    caplog.set_level(logging.WARNING, logger="playground.runs.lifecycle")
    reader = TableLock(table="runs_run")
    try:
        run = await lifecycle.run_launch(spec={"strategy": "gather", "requests": 3}, owner="locked-runs-table")
        await reader.acquire()  # its first try does not yield: held before the worker can begin the run
        socket = await watch(run.id)
        job = DBTaskResult.objects.filter(id=run.job)
        await until(lambda: job.values_list("status", flat=True).first() == "FAILED", timeout=GIVE_UP_S)
        said = [r.getMessage() for r in caplog.records if "marking it running failed" in r.getMessage()]
        assert len(said) == lifecycle.BEGIN_ATTEMPTS and said[-1].endswith("giving up"), "tried again, then gave up"
    finally:
        reader.close()
    live = await read_to_end(socket)
    await run_ended(run.id, GIVE_UP_S)
    why = "the database would not let the worker begin it (OperationalError: database table is locked: runs_run)"
    assert [(e["type"], e["status"], e["error"]) for e in live] == [("run.finished", "failed", why)]
    assert stored_events(run.id) == live
    assert (await Run.objects.aget(id=run.id)).status == "failed"


@pytest.mark.django_db(transaction=True)
async def test_a_run_whose_store_keeps_failing_ends_failed_keeping_what_was_stored(demo_api, lock, caplog):
    caplog.set_level(logging.WARNING, logger="playground.runs.recorder")
    spec = {"strategy": "sequential", "requests": 100, "latency_ms": 20}  # 2 s if left to run
    run = await lifecycle.run_launch(spec=spec, owner="broken-store")
    socket = await watch(run.id)
    await until(lambda: Event.objects.filter(run_id=run.id, data__type="task.finished").count() >= 3)
    await lock.acquire()
    kept = Event.objects.filter(run_id=run.id).count()
    await until(lambda: logged(caplog, "giving up"), timeout=GIVE_UP_S)
    lock.release()  # the store works again: too late for the run, in time for its end
    await run_ended(run.id, GIVE_UP_S)

    stored = stored_events(run.id)
    assert_gapless(stored)
    assert len(stored) >= kept + 1, "what was stored before the failure is kept"
    end = stored[-1]
    assert (end["type"], end["status"], end["summary"]) == ("run.finished", "failed", None)
    assert end["error"] == "could not store events: OperationalError: database table is locked: runs_event"
    assert sum(e["type"] == "task.finished" for e in stored) < 100, "the strategy was stopped"
    assert (await Run.objects.aget(id=run.id)).status == "failed"
    assert await read_to_end(socket) == stored, "the watcher saw the run end"
    assert await read_to_end(await watch(run.id)) == stored, "so does a page that connects later"
    assert await read_to_end(await watch(run.id, after=len(stored) - 2)) == [end]


@pytest.mark.django_db(transaction=True)
async def test_a_page_watching_a_run_whose_end_was_never_stored_is_told_so():
    # What _run_close leaves when even the end could not be stored: the Run row marked
    # failed, its stored events without a run.finished.
    run = await Run.objects.acreate(spec={"strategy": "gather", "requests": 1}, status=Run.Status.FAILED)
    await Event.objects.acreate(run=run, seq=0, data={"type": "run.started", "seq": 0, "t": 0.0})
    socket = await watch(run.id)
    replayed = await socket.receive_json_from(timeout=SOCKET_TIMEOUT_S)
    assert [e["seq"] for e in replayed["events"]] == [0]
    told = await socket.receive_json_from(timeout=SOCKET_TIMEOUT_S)
    assert told == {"type": "error", "error": "this run ended failed, but its end could not be recorded"}
    assert (await socket.receive_output(timeout=SOCKET_TIMEOUT_S))["type"] == "websocket.close"


async def test_events_emitted_from_many_threads_at_once_are_numbered_in_the_order_they_are_queued():
    import threading

    store = FlakyStore()
    rec = recorder_for(store)
    rec.start()
    go = threading.Barrier(8)

    def emit_many(task: int) -> None:
        go.wait()
        for attempt in range(1, 501):
            rec.emit(events.task_started(task, attempt))

    threads = [threading.Thread(target=emit_many, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    await rec.close()
    assert [e["seq"] for e in store.stored] == list(range(8 * 500)), "no number taken twice, none out of place"
    for task in range(8):
        assert [e["attempt"] for e in store.stored if e["task"] == task] == list(range(1, 501))
