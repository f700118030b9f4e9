"""The event store on the embedded default's SQLite: batches stored by events_store, read back
by seq (a socket's replay) and by row id across runs (the feed's poll)."""

import pytest

from playground.runs.eventstore import events_after, events_last_id, events_since, events_store
from playground.runs.models import Run

pytestmark = pytest.mark.django_db


def batch(seqs, task0=0):
    return [{"type": "task.started", "seq": s, "t": s / 10, "task": task0 + s, "attempt": 1} for s in seqs]


def test_the_feed_reads_the_watched_runs_events_by_row_id_after_its_cursor():
    a, b, other = (Run.objects.create(spec={"strategy": "gather", "requests": 9}) for _ in range(3))
    start = events_last_id()
    events_store(a.id, batch([0, 1]))
    events_store(other.id, batch([0]))
    events_store(b.id, batch([0, 1, 2], task0=100))
    events_store(a.id, batch([2]))
    rows = events_since(run_ids=[a.id, str(b.id)], after_id=start, limit=100)
    assert [(run, e["seq"]) for _, run, e in rows] == [
        (str(a.id), 0), (str(a.id), 1), (str(b.id), 0), (str(b.id), 1), (str(b.id), 2), (str(a.id), 2)
    ]  # fmt: skip
    assert rows[2][2] == batch([0], task0=100)[0]  # the event whole, as stored
    ids = [i for i, _, _ in rows]
    assert ids == sorted(ids) and ids[-1] == events_last_id()
    # A cursor in the middle, and a limit: the rest, the oldest first.
    assert [e["seq"] for _, _, e in events_since(run_ids=[a.id, b.id], after_id=ids[1], limit=2)] == [0, 1]
    assert events_since(run_ids=[a.id, b.id], after_id=ids[-1], limit=100) == []
    assert events_since(run_ids=[], after_id=start, limit=100) == []


def test_a_replay_reads_one_runs_events_by_seq():
    run = Run.objects.create(spec={"strategy": "gather", "requests": 9})
    events_store(run.id, batch([0, 1, 2, 3]))
    assert [e["seq"] for e in events_after(run_id=run.id, after=1)] == [2, 3]
    assert [e["seq"] for e in events_after(run_id=run.id, after=-1, limit=2)] == [0, 1]
