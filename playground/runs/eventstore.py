"""The event store: a run's events as rows, written in batches, read back by seq.

Every event is stored before it is sent, so the stored events are the truth a socket
falls back on; storing the batch that holds run.finished also closes the Run row.
"""

import json

from django.db import connection, transaction
from django.utils import timezone

from playground import events
from playground.runs.models import Event, Run


def group_name(run_id) -> str:
    """The channel-layer group every socket watching this run joins."""
    return f"run-{run_id}"


EVENT_INSERT = f"INSERT INTO {Event._meta.db_table} (run_id, seq, data) VALUES "
# Rows a statement: 3 parameters each stays under SQLite's oldest limit of 999.
ROWS_PER_INSERT = 300


def events_store(run_id, batch: list[dict]) -> None:
    """Store a batch; the batch holding run.finished also closes the Run, atomically,
    so whoever sees that event over a socket finds the run's final status stored."""
    with transaction.atomic():
        # Multi-row INSERTs, not the ORM's bulk_create (its per-object work cost a fifth of
        # the server's CPU under load), nor executemany: that steps SQLite once a row, and
        # each step gives up the interpreter lock, which a worker busy with a run's
        # requests hands back only after its switch interval (5 ms) -- per row.
        run_value = Event._meta.get_field("run").get_db_prep_value(run_id, connection)
        with connection.cursor() as cursor:
            for k in range(0, len(batch), ROWS_PER_INSERT):
                rows = batch[k : k + ROWS_PER_INSERT]
                values = ", ".join(["(%s, %s, %s)"] * len(rows))
                params = [p for e in rows for p in (run_value, e["seq"], json.dumps(e))]
                cursor.execute(EVENT_INSERT + values, params)
        end = batch[-1]
        if end["type"] == events.RUN_FINISHED:
            run_mark(run_id=run_id, status=end["status"], summary=end["summary"])


def events_after(*, run_id, after: int, limit: int | None = None) -> list[dict]:
    """Stored events with seq > after, in order."""
    qs = Event.objects.filter(run_id=run_id, seq__gt=after).order_by("seq").values_list("data", flat=True)
    return list(qs[:limit] if limit else qs)


def events_since(*, run_ids: list, after_id: int, limit: int) -> list[tuple[int, str, dict]]:
    """(row id, run id, event) of the events stored for `run_ids` with row id > after_id, by row id.

    Row ids grow in the order rows are committed while one writer at a time commits
    (SQLite); feed.py reads the embedded default's events this way.
    """
    qs = Event.objects.filter(run_id__in=run_ids, id__gt=after_id).order_by("id")
    return [(i, str(r), d) for i, r, d in qs.values_list("id", "run_id", "data")[:limit]]


def events_last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def run_mark(*, run_id, status: str, summary: dict | None = None) -> None:
    fields: dict[str, object] = {"status": status}
    if status not in Run.ACTIVE:
        fields.update(summary=summary, finished=timezone.now())
    Run.objects.filter(id=run_id).update(**fields)
