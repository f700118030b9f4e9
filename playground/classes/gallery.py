"""The class's runs as cards on the teacher's dashboard, and the pause of learners' runs.

    cards_now(classroom) -> [card]          the learners' runs during the class, newest first
        a learner's run: Run.owner == learner.visitor, created between learner.joined and the
        class's end (a removed learner's runs leave the gallery with them)
        card = {run, learner, name, strategy, params, n, status, wall_s, created, url}
    gallery_watch(classroom, send)          a teacher socket's loop (consumers.py starts it after the hello):
        every GALLERY_POLL_S one cheap query (ids, statuses, names); on a change from what the page
        has (none, at its hello), send({"type": "class.gallery", "cards": [...]}) -- the FULL list, never a delta
    gallery_hello(classroom, role)          -> {"paused": bool}, merged into the socket's hello
    runs_paused_for(owner) -> str | None    the run paths' one question (POST /api/runs, the form, a pair):
        the refusal's words when `owner` is a learner of a live class whose teacher paused runs

Why a loop that reads the database: runs execute in worker processes, and with the in-memory
channel layer (the embedded default) a worker's group messages never reach the web process's
sockets. The database is what every process shares, so each teacher socket asks it, about once a
second; a learner's socket never gets a card (names, other learners' runs).
"""

import asyncio
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from playground.classes.codes import code_shown
from playground.classes.models import Classroom, Learner
from playground.runs.models import Run

GALLERY_POLL_S = 1.0  # a finished run shows on the dashboard within a second; one small query a second a teacher
WATCH_TASK = "class-gallery-watch"  # the name of a teacher socket's task running gallery_watch
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


def _runs_of(classroom: Classroom, learners: list[Learner], fields: tuple[str, ...]) -> list:
    """The learners' runs during the class (`fields` of each, owner and created included), newest first."""
    if not learners:
        return []
    joined = {x.visitor: x.joined for x in learners}
    rows = Run.objects.filter(
        owner__in=list(joined), created__gte=min(joined.values()), created__lt=classroom.expires_at
    ).order_by("-created", "id")
    kept = [row for row in rows.values(*fields) if row["created"] >= joined[row["owner"]]]
    return kept[:MAX_CARDS]


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
    learners = _learners(classroom.id)
    by_visitor = {x.visitor: x for x in learners}
    runs = _runs_of(classroom, learners, ("id", "owner", "created", "status", "spec", "summary"))
    return [card_of(run, by_visitor[run["owner"]]) for run in runs]


def signature_read(classroom: Classroom) -> tuple:
    """What a change to the cards changes: which runs, their statuses, their learners' names."""
    learners = _learners(classroom.id)
    names = {x.visitor: x.name for x in learners}
    runs = _runs_of(classroom, learners, ("id", "owner", "created", "status"))
    return tuple((row["id"], row["status"], names[row["owner"]]) for row in runs)


async def cards_now(*, classroom: Classroom) -> list[dict]:
    return await sync_to_async(cards_read)(classroom)


def gallery_message(cards: list[dict]) -> dict:
    return {"type": "class.gallery", "cards": cards}


async def gallery_watch(*, classroom: Classroom, send: Callable[[dict], Awaitable[None]]) -> None:
    """Send the cards whenever they change, until cancelled (the socket closed). A page starts from
    none (its hello), so a class without runs sends nothing."""
    seen: tuple = ()
    while True:
        now = await sync_to_async(signature_read)(classroom)
        if now != seen:
            seen = now
            await send(gallery_message(await cards_now(classroom=classroom)))
        await asyncio.sleep(GALLERY_POLL_S)


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
