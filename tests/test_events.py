"""The Recorder: numbering, batching, and store-before-publish order."""

import asyncio

from playground import events
from playground.runs.recorder import Recorder
from tests.support.runs import Collected


async def test_seq_is_contiguous_and_batches_are_capped():
    c = Collected(batch_max=100)
    for i in range(1050):
        c.recorder.emit(events.task_started(i, 1))
    await c.recorder.flush()
    assert [len(b) for b in c.published] == [100] * 10 + [50]
    assert [e["seq"] for e in c.events] == list(range(1050))


async def test_each_batch_is_stored_before_it_is_published():
    c = Collected(batch_max=10)
    for i in range(25):
        c.recorder.emit(events.task_started(i, 1))
    await c.recorder.flush()
    assert c.calls == [("store", 0), ("publish", 0), ("store", 10), ("publish", 10), ("store", 20), ("publish", 20)]


async def test_periodic_flush_sends_without_waiting_for_close():
    c = Collected(interval=0.01)
    c.recorder.start()
    c.recorder.emit(events.run_started({"strategy": "gather"}, []))
    flushed = asyncio.Event()

    async def watch():
        while not c.published:
            await asyncio.sleep(0.005)
        flushed.set()

    await asyncio.wait_for(watch(), timeout=5)
    assert flushed.is_set()
    c.recorder.emit(events.run_finished("finished", {}))
    await c.recorder.close()
    assert [e["type"] for e in c.events] == ["run.started", "run.finished"]


# A store that fails: tests/test_recorder.py, through the Recorder's own start/close.


def test_every_event_has_type_seq_t_first():
    rec = Recorder(store=None, publish=None, interval=1, batch_max=1)
    e = rec.emit(events.task_finished(3, 2, "timeout", None, "TimeoutError"))
    assert list(e)[:3] == ["type", "seq", "t"]
    assert e["status"] == "timeout" and e["attempt"] == 2


def test_event_constructors_refuse_values_outside_the_schema():
    import pytest

    with pytest.raises(ValueError, match="reason: must be one of semaphore"):
        events.task_waiting(0, 1, "coffee")
    with pytest.raises(ValueError, match="status: must be one of finished"):
        events.run_finished("exploded", {})
