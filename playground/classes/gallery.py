"""The class's runs as cards on the teacher's dashboard, and the pause of learners' runs.

    cards_now(classroom) -> [card]          the learners' runs during the class, newest first, MAX_CARDS at most
        a learner's run (learner_runs: one query, the window and the LIMIT in SQL): Run.owner ==
        learner.visitor, created from learner.joined until the class's end (a removed learner's
        runs leave the gallery with them)
        card = {run, learner, name, strategy, params, n, status, wall_s, created, url}
    gallery_join(classroom, group) / gallery_leave(classroom_id)
                                            a teacher socket that shows cards (not the projector's) counts
        itself on the class's ONE watcher in this process (started by the first, cancelled by the last):
        every GALLERY_POLL_S one cheap read (ids, statuses, names); on a change, or when a socket
        joined, group_send to the teacher's group {"type": "class.gallery", "cards": [...]} -- the
        FULL list, never a delta (a page starts from none, at its hello)
    gallery_hello(classroom, role)          -> {"paused": bool}, merged into the socket's hello
    runs_paused_for(owner) -> str | None    the run paths' one question (POST /api/runs, the form, a pair):
        the refusal's words when `owner` is a learner of a live class whose teacher paused runs

Why a loop that reads the database: runs execute in worker processes, and with the in-memory
channel layer (the embedded default) a worker's group messages never reach the web process's
sockets. The database is what every process shares, so each class's watcher asks it, about once a
second, on Channels' one shared sync thread -- once per class, however many teacher pages are open;
a learner's socket never gets a card (names, other learners' runs).
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from playground.classes.codes import code_shown
from playground.classes.models import Classroom, Learner
from playground.runs.models import Run

logger = logging.getLogger(__name__)

GALLERY_POLL_S = 1.0  # a finished run shows on the dashboard within a second; two small queries a second a class
WATCH_TASK = "class-gallery-watch"  # the name of a class's watcher task (gallery_watch)
MAX_CARDS = 300  # thirty learners' ten runs each: more is no longer a gallery a teacher can read
# What a card leaves out of the spec: said elsewhere on the card (strategy, n) or too long to show.
NOT_PARAMS = ("strategy", "requests", "latencies_ms")


def learner_runs(classroom: Classroom) -> QuerySet[Run]:
    """The learners' runs during the class, as one query: owned by a learner still in the class,
    created from their joining (inclusive) until the class's end (exclusive)."""
    during = Learner.objects.filter(
        classroom_id=classroom.id, removed=None, visitor=OuterRef("owner"), joined__lte=OuterRef("created")
    )
    return Run.objects.filter(Exists(during), created__lt=classroom.expires_at)


def _learners(classroom_id: int) -> list[Learner]:
    return list(Learner.objects.filter(classroom_id=classroom_id, removed=None))


def _runs_of(classroom: Classroom, fields: tuple[str, ...]) -> list[dict]:
    """The newest MAX_CARDS of the learners' runs during the class (`fields` of each), in SQL."""
    return list(learner_runs(classroom).order_by("-created", "id").values(*fields)[:MAX_CARDS])


def card_of(run: dict, learner: Learner) -> dict:
    spec = run["spec"] or {}
    summary = run["summary"] or {}
    return {
        "run": str(run["id"]),
        "learner": learner.id,
        "name": learner.name,
        "strategy": spec.get("strategy"),
        "params": {k: v for k, v in spec.items() if k not in NOT_PARAMS},
        "n": spec.get("requests"),
        "status": run["status"],
        "wall_s": summary.get("wall_s"),
        "created": run["created"].isoformat(),
        "url": f"/runs/{run['id']}/",
    }


def cards_read(classroom: Classroom) -> list[dict]:
    by_visitor = {x.visitor: x for x in _learners(classroom.id)}
    runs = _runs_of(classroom, ("id", "owner", "created", "status", "spec", "summary"))
    return [card_of(run, by_visitor[run["owner"]]) for run in runs if run["owner"] in by_visitor]


def signature_read(classroom: Classroom) -> tuple:
    """What a change to the cards changes: which runs, their statuses, their learners' names."""
    names = {x.visitor: x.name for x in _learners(classroom.id)}
    runs = _runs_of(classroom, ("id", "owner", "status"))
    return tuple((row["id"], row["status"], names.get(row["owner"])) for row in runs)


async def cards_now(*, classroom: Classroom) -> list[dict]:
    return await sync_to_async(cards_read)(classroom)


def gallery_message(cards: list[dict]) -> dict:
    return {"type": "class.gallery", "cards": cards}


# --- One watcher per class in this process ------------------------------------------------------


@dataclass
class Watch:
    """A class's watcher in this process: its task, and the teacher sockets that want its cards."""

    task: asyncio.Task | None = None
    sockets: int = 0
    fresh: bool = False  # a socket joined since the last look: send the cards even if unchanged
    wake: asyncio.Event = field(default_factory=asyncio.Event)


WATCHES: dict[int, Watch] = {}  # class id -> its watcher, while a teacher socket here wants cards


def gallery_join(*, classroom: Classroom, group: str) -> None:
    """A teacher socket (after its hello) wants cards: the class's watcher starts, or counts one more
    socket; either way it sends the cards to `group` (the teacher's) at once, if there are any."""
    watch = WATCHES.get(classroom.id)
    if watch is None:
        watch = WATCHES[classroom.id] = Watch()
        watch.task = asyncio.get_running_loop().create_task(
            gallery_watch(classroom=classroom, group=group, watch=watch), name=WATCH_TASK
        )
        watch.task.add_done_callback(lambda task: _watch_ended(classroom.id, watch, task))
    watch.sockets += 1
    watch.fresh = True
    watch.wake.set()


def gallery_leave(*, classroom_id: int) -> None:
    """A socket that joined closed: the last one to leave stops the class's watcher."""
    watch = WATCHES.get(classroom_id)
    if watch is None:
        return
    watch.sockets -= 1
    if watch.sockets <= 0:
        del WATCHES[classroom_id]  # now, not at the task's end: a socket that comes next starts a new one
        if watch.task is not None:
            watch.task.cancel()


def _watch_ended(classroom_id: int, watch: Watch, task: asyncio.Task) -> None:
    if WATCHES.get(classroom_id) is watch:
        del WATCHES[classroom_id]
    if not task.cancelled() and task.exception() is not None:  # the next teacher socket starts a new one
        logger.error("gallery watcher of class %s failed", classroom_id, exc_info=task.exception())


async def gallery_watch(*, classroom: Classroom, group: str, watch: Watch) -> None:
    """Send the cards to `group` whenever they change (or a socket joined), until cancelled. A page
    starts from none (its hello), so a class without runs sends nothing."""
    seen: tuple = ()
    layer = get_channel_layer()
    while True:
        watch.wake.clear()
        fresh, watch.fresh = watch.fresh, False
        now = await sync_to_async(signature_read)(classroom)
        if now != seen or (fresh and now):
            seen = now
            await layer.group_send(group, gallery_message(await cards_now(classroom=classroom)))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(GALLERY_POLL_S):
                await watch.wake.wait()


async def gallery_hello(*, classroom: Classroom, role) -> dict:
    # Read again: the class row the socket found may be older than a pause announced since.
    paused = await Classroom.objects.filter(id=classroom.id).values_list("runs_paused", flat=True).aget()
    return {"paused": paused}


def paused_message(paused: bool) -> dict:
    return {"type": "class.paused", "paused": paused}


async def runs_paused_for(*, owner: str) -> str | None:
    """Why `owner` may not start a run now (their teacher paused runs in a live class), or None."""
    if not owner:
        return None
    learner = (
        await Learner.objects.filter(
            visitor=owner, removed=None, classroom__runs_paused=True, classroom__expires_at__gt=timezone.now()
        )
        .select_related("classroom")
        .afirst()
    )
    if learner is None:
        return None
    return f"Your teacher paused runs in class {code_shown(learner.classroom.code)}; Run works again when they resume."
