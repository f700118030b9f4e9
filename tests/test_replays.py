"""Replays (playground/runs/replays.py): sockets opening on a run together share one read and its frames.

In-process on the real database. `_read` is wrapped to count and hold reads (a spy: the real
read still runs on the events reader's thread).
"""

import asyncio
import threading

import orjson
import pytest
from asgiref.sync import sync_to_async

from playground import events
from playground.runs import lifecycle, replays
from playground.runs.eventstore import events_store
from playground.runs.follow import RUN_HEAD
from playground.runs.replays import Replay

pytestmark = pytest.mark.django_db(transaction=True)

QUEUED = {"strategy": "gather", "requests": 3, "latency_ms": 10}
HOLD_S = 10  # a held read is let go well before this; past it something hangs


def started(seq: int) -> dict:
    return {**events.task_started(seq, 1), "seq": seq, "t": 0.001 * seq}


async def store(run, seqs) -> None:
    await sync_to_async(events_store)(run.id, [started(s) for s in seqs])


@pytest.fixture
def reads(monkeypatch):
    """Counts the database reads; while `hold` is clear, a read waits inside the reader thread."""
    spy = {"n": 0, "hold": threading.Event(), "inside": threading.Event()}
    spy["hold"].set()
    real = replays._read

    def read(run_id, after):
        spy["n"] += 1
        spy["inside"].set()
        assert spy["hold"].wait(HOLD_S), "a held read was never let go"
        return real(run_id, after)

    monkeypatch.setattr(replays, "_read", read)
    return spy


@pytest.fixture
async def run(settings):
    settings.RUNS_IN_WEB_PROCESS = False  # queued, no worker: its events are the ones this test stores
    return await lifecycle.run_launch(spec=QUEUED, owner="ann")


async def test_sockets_that_ask_together_share_one_read_of_the_database(run, reads):
    await store(run, range(5))
    replay = Replay(run.id)
    answers = await asyncio.gather(*(replay.read() for _ in range(50)))
    assert reads["n"] == 1, "fifty sockets opening at once read the run once"
    assert {a[:2] for a in answers} == {("queued", 5)}
    assert [e["seq"] for e in replay.events] == [0, 1, 2, 3, 4]


async def test_a_socket_asking_during_a_read_gets_a_later_read_that_holds_what_was_stored_meanwhile(run, reads):
    await store(run, range(3))
    replay = Replay(run.id)
    reads["hold"].clear()
    first = asyncio.ensure_future(replay.read())
    assert await asyncio.to_thread(reads["inside"].wait, HOLD_S)  # the first read has begun
    await store(run, range(3, 6))  # stored after that read began: it may miss them
    second = asyncio.ensure_future(replay.read())  # asks after the store: must be sent them
    await asyncio.sleep(0)
    reads["hold"].set()
    assert (await second)[1] == 6
    assert (await first)[1] in (3, 6)
    assert reads["n"] == 2
    assert len(replay.events) == 6 and [e["seq"] for e in replay.events] == list(range(6))


async def test_a_later_read_fetches_only_what_is_new(run, reads):
    replay = Replay(run.id)
    await store(run, range(4))
    await replay.read()
    await store(run, range(4, 7))
    status, held, beyond = await replay.read()
    assert (status, held, beyond) == ("queued", 7, [])
    assert reads["n"] == 2
    assert [e["seq"] for e in replay.events] == list(range(7)), "each event once, in order"


async def test_events_past_a_gap_are_sent_but_not_held_until_the_gap_is_stored(run, reads):
    await store(run, [0, 1, 3, 4])
    replay = Replay(run.id)
    _, held, beyond = await replay.read()
    assert held == 2 and [e["seq"] for e in beyond] == [3, 4]
    await store(run, [2])
    _, held, beyond = await replay.read()
    assert held == 5 and beyond == []
    assert [e["seq"] for e in replay.events] == [0, 1, 2, 3, 4]


async def test_an_unknown_run_reads_as_none(reads):
    replay = Replay("00000000-0000-0000-0000-000000000000")
    assert await replay.read() == (None, 0, [])


async def test_frames_end_at_multiples_of_the_batch_size_and_are_made_once(run, reads, settings):
    settings.EVENT_BATCH_MAX = 4
    await store(run, range(10))
    replay = Replay(run.id)
    await replay.read()
    first = list(replay.frames(-1, 10, RUN_HEAD))
    again = list(replay.frames(-1, 10, RUN_HEAD))
    assert [last for _, last in first] == [3, 7, 9]
    assert all(a is b for (a, _), (b, _) in zip(first, again, strict=True)), "a second socket sends the same frames"
    sent = [orjson.loads(text) for text, _ in first]
    assert all(f["type"] == "events" for f in sent)
    assert [e["seq"] for f in sent for e in f["events"]] == list(range(10))
    # A socket that already has seq 5 (a reconnect) gets the rest of that frame, made for it alone,
    # then the next from a multiple of 4, shared.
    rest = list(replay.frames(5, 10, RUN_HEAD))
    assert [last for _, last in rest] == [7, 9] and rest[1][0] is first[2][0]
    assert (RUN_HEAD, 6, 8) not in replay._frames
    # More events stored: the short frame (8, 9) is replaced by the full one, not kept beside it.
    await store(run, range(10, 13))
    await replay.read()
    assert [last for _, last in replay.frames(-1, 13, RUN_HEAD)] == [3, 7, 11, 12]
    assert (RUN_HEAD, 8, 10) not in replay._frames and (RUN_HEAD, 8, 12) in replay._frames


async def test_a_replay_is_dropped_when_its_last_socket_closes(run):
    held = replays.replays()
    a, b = held.open(run.id), held.open(run.id)
    assert a is b and held.runs[str(run.id)] is a
    held.close(a)
    assert str(run.id) in held.runs, "one socket still watches it"
    held.close(b)
    assert str(run.id) not in held.runs


async def test_a_socket_resuming_on_a_run_nothing_holds_reads_only_its_tail(run, reads):
    await store(run, range(8))
    replay = Replay(run.id)
    status, held, tail = await replay.read(5)
    assert (status, held, [e["seq"] for e in tail]) == ("queued", 0, [6, 7])
    assert replay.events == [], "a resume is not held: the next socket from the start reads the run whole"
    _, held, beyond = await replay.read()
    assert held == 8 and beyond == []
    _, held, tail = await replay.read(5)  # now held: the resume shares what is held, and reads what is new
    assert held == 8 and tail == [] and reads["n"] == 3
