"""The event store: a run's events as rows, written in batches, read back by seq.

Every event is stored before it is sent, so the stored events are the truth a socket
falls back on; storing the batch that holds run.finished also closes the Run row.
"""

import orjson
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from playground import events
from playground.runs.models import Event, Run


def group_name(run_id) -> str:
    """The channel-layer group every socket watching this run joins."""
    return f"run-{run_id}"


# One statement a batch, its events as one JSON array that the database splits into rows:
# the worker's Python does one dumps (C) a batch, not work for every event -- Python
# work that, on a worker busy with a run's requests, waited its turn for the interpreter.
# orjson's: the events of gather over 1,000 (2,000) took json.dumps 17 ms, orjson 1 ms,
# time the store thread held the interpreter while the run's loop waited for it.
EVENT_INSERT = {
    "sqlite": (
        f"INSERT INTO {Event._meta.db_table} (run_id, seq, data) "
        "SELECT %s, json_extract(value, '$.seq'), value FROM json_each(%s)"
    ),
    "postgresql": (
        f"INSERT INTO {Event._meta.db_table} (run_id, seq, data) "
        "SELECT %s, (e->>'seq')::integer, e FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS a(e, n) "
        "ORDER BY n"
    ),
}


def _dumps(batch: list[dict]) -> str:
    # As json.dumps did: a key that is not a string becomes one (orjson would refuse it).
    return orjson.dumps(batch, option=orjson.OPT_NON_STR_KEYS).decode()


def events_store(run_id, batch: list[dict]) -> None:
    """Store a batch; the batch holding run.finished also closes the Run, atomically,
    so whoever sees that event over a socket finds the run's final status stored."""
    run_value = Event._meta.get_field("run").get_db_prep_value(run_id, connection)
    end = batch[-1]
    if end["type"] != events.RUN_FINISHED:  # one statement: atomic by itself
        with connection.cursor() as cursor:
            cursor.execute(EVENT_INSERT[connection.vendor], [run_value, _dumps(batch)])
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(EVENT_INSERT[connection.vendor], [run_value, _dumps(batch)])
        run_mark(run_id=run_id, status=end["status"], summary=end["summary"])


def events_after(*, run_id, after: int, limit: int | None = None) -> list[dict]:
    """Stored events with seq > after, in order: one plain statement, its rows parsed as one JSON array
    (as events_since): every socket that opens on a run replays through here, a class of 100 at once
    when the teacher puts a run on stage; through the ORM, each row was decoded on its own."""
    run_value = Event._meta.get_field("run").get_db_prep_value(run_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT data FROM {Event._meta.db_table} WHERE run_id = %s AND seq > %s ORDER BY seq"
            + (" LIMIT %s" if limit else ""),
            [run_value, after, *([limit] if limit else [])],
        )
        rows = cursor.fetchall()
    return orjson.loads(f"[{','.join(text for (text,) in rows)}]") if rows else []


def events_since(*, run_ids: list, after_id: int, limit: int) -> list[tuple[int, str, dict]]:
    """(row id, run id, event) of the events stored for `run_ids` with row id > after_id, by row id.

    Row ids grow in the order rows are committed while one writer at a time commits
    (SQLite); feed.py reads the embedded default's events this way, every 20 ms while a
    socket watches. So it is one plain statement, and its events are parsed as one JSON
    array by one call: through the ORM, a 1,000-request run cost the web process a third
    of a core, half of it building the query and decoding each row.
    """
    if not run_ids:
        return []
    field = Event._meta.get_field("run")
    keys = {field.get_db_prep_value(r, connection): str(r) for r in run_ids}
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, run_id, data FROM {table} WHERE id > %s AND run_id IN ({', '.join(['%s'] * len(keys))}) "
            "ORDER BY id LIMIT %s",
            [after_id, *keys, limit],
        )
        rows = cursor.fetchall()
    if not rows:
        return []
    data = orjson.loads(f"[{','.join(text for _, _, text in rows)}]")
    return [(i, keys[run], event) for (i, run, _), event in zip(rows, data, strict=True)]


def events_last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def run_mark(*, run_id, status: str, summary: dict | None = None) -> None:
    """Close a run that is still open (one interrupted meanwhile stays as it was closed)."""
    fields: dict[str, object] = {"status": status}
    if status not in Run.ACTIVE:
        fields.update(summary=summary, finished=timezone.now())
    Run.objects.filter(id=run_id, status__in=Run.ACTIVE).update(**fields)


async def events_publish(run_id, batch: list[dict]) -> None:
    """Send stored events to every socket watching the run (its group), in this process or,
    through a layer that crosses processes, in all of them."""
    await get_channel_layer().group_send(
        group_name(run_id), {"type": "run.events", "run": str(run_id), "events": batch}
    )


def layer_crosses_processes() -> bool:
    """Whether the channel layer reaches other processes (channels_redis), not only this one."""
    return not isinstance(get_channel_layer(), InMemoryChannelLayer)
