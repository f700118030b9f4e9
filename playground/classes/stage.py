"""The stage: the run (or two runs compared) every screen in the class follows.

    stage_launch(classroom, spec)   the teacher's "Run for everyone", in one transaction: refused while
                                    one goes (ClassRefused 409) -> the load now (runs running and queued)
                                    -> run_enqueue (owned by the teacher, PRIORITY_STAGE: ahead of every
                                    learner's run) -> the open round locked on it -> a Stage row; then,
                                    committed, what the round and the stage now say is read in the same
                                    trip and announced   RunRefused (the abuse caps) -> 429
    stage_set(classroom, runs)      the stage handed to 0, 1 or 2 runs (the teacher's, or a learner's
                                    made in the class: gallery.learner_runs)   ClassRefused 400 "runs"
    stage_now(classroom, names)     <stage> = {"rev", "runs": [{id, url, ws, strategy, n, by, learner,
                                    name}], "load"}; `name` only when `names`, else null
    stage_hello(classroom, role)    {"stage": <stage>} for the class socket's hello

The stage is the class's latest Stage row; `rev` is its id, so a page drops a stage older than the
one it shows. Each change goes out (stage_send, read by stage_news) as {"type": "class.stage", ...<stage>}
to the teacher's group with names, and to the learners' group with names only if the teacher shows them.
The runs' own events come on the same class socket (classes/consumers.py: stage.events).
"""

import logging
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import DatabaseError, transaction

from playground.classes import gallery, rounds, services
from playground.classes.models import Classroom, Learner, Round, Stage
from playground.classes.services import ClassRefused
from playground.runs import lifecycle
from playground.runs.admission import PRIORITY_STAGE
from playground.runs.models import Run

logger = logging.getLogger(__name__)

# A second run for everyone while the first goes would put on stage (and lock the round on) a run
# the class did not watch: a double click, or a second tab.
LAUNCH_BUSY = "A run for everyone is still running: wait for it, or cancel it."
MAX_STAGE_RUNS = 2  # one run, or two on one time axis (a comparison a room can read)
RUNS_RULE = (
    f"Must be a list of 0 to {MAX_STAGE_RUNS} different run ids: runs of this class's teacher, or of its learners"
    " made while in the class."
)


# --- Reading the stage ------------------------------------------------------------------------


def stage_read(classroom: Classroom, *, names: bool) -> dict:
    """<stage>: the class's latest Stage row as the pages show it."""
    row = Stage.objects.filter(classroom=classroom).select_related("run", "other").order_by("-id").first()
    if row is None:
        return {"rev": 0, "runs": [], "load": None}
    runs = [run for run in (row.run, row.other) if run is not None]
    owners = {run.owner for run in runs}
    learners = {x.visitor: x for x in Learner.objects.filter(classroom=classroom, visitor__in=owners)}
    return {
        "rev": row.id,
        "runs": [_run_out(run, classroom, learners.get(run.owner), names) for run in runs],
        "load": row.load or None,
    }


def _run_out(run: Run, classroom: Classroom, learner: Learner | None, names: bool) -> dict:
    by_teacher = run.owner == classroom.teacher
    return {
        **lifecycle.run_urls(run),
        "strategy": run.spec.get("strategy", ""),
        "n": run.spec.get("requests", 0),
        "by": "teacher" if by_teacher else "learner",
        # The learner's id and name only where names are shown: a stable id with no name could be
        # mapped back to a name by a learner who once saw the roster with names.
        "learner": None if by_teacher or learner is None or not names else learner.id,
        "name": learner.name if names and learner is not None and not by_teacher else None,
    }


async def stage_now(*, classroom: Classroom, names: bool) -> dict:
    return await sync_to_async(stage_read)(classroom, names=names)


async def stage_hello(*, classroom: Classroom, role) -> dict:
    names = role.kind == "teacher" or classroom.show_names
    return {"stage": await stage_now(classroom=classroom, names=names)}


def stage_news(classroom_id: int) -> tuple[str, dict, dict]:
    """What stage_send says: the class's code, its <stage> for the teacher (names) and for the learners."""
    classroom = Classroom.objects.get(id=classroom_id)  # show_names as it is now
    teachers = stage_read(classroom, names=True)
    learners = teachers if classroom.show_names else stage_read(classroom, names=False)
    return classroom.code, teachers, learners


async def stage_send(code: str, teachers: dict, learners: dict) -> None:
    """class.stage to the teacher's group and to the learners' (stage_news: each its own version)."""
    layer = get_channel_layer()
    await layer.group_send(services.teacher_group(code), {"type": "class.stage", **teachers})
    await layer.group_send(services.learners_group(code), {"type": "class.stage", **learners})


async def stage_announce(*, classroom: Classroom) -> dict:
    """Tell every socket of the class what is on stage; returns the teacher's version."""
    code, teachers, learners = await sync_to_async(stage_news)(classroom.id)
    await stage_send(code, teachers, learners)
    return teachers


async def stage_names_announce(*, classroom: Classroom) -> None:
    """The teacher showed or hid names: a stage showing a learner's run goes to the learners again,
    with its name (and id) only if shown now. The teacher's copy, always named, is unchanged."""
    classroom = await Classroom.objects.aget(id=classroom.id)  # show_names as it is now
    learners = await stage_now(classroom=classroom, names=classroom.show_names)
    if any(run["by"] == "learner" for run in learners["runs"]):
        await get_channel_layer().group_send(
            services.learners_group(classroom.code), {"type": "class.stage", **learners}
        )


# --- Changing it ------------------------------------------------------------------------------


def load_now() -> dict:
    """What else the workers have on: runs running and runs waiting, of every class and none."""
    running = Run.objects.filter(status=Run.Status.RUNNING).count()
    return {"running": running, "queued": Run.objects.filter(status=Run.Status.QUEUED).count()}


def launched_running(classroom: Classroom) -> bool:
    """Is a run launched for everyone (POST .../runs: its Stage row keeps the load) queued or running?"""
    rows = Stage.objects.filter(classroom=classroom, run__owner=classroom.teacher, run__status__in=Run.ACTIVE)
    return rows.exclude(load={}).exists()


@transaction.atomic
def _launch(classroom: Classroom, spec: dict) -> tuple[Run, Round | None]:
    """One transaction, the class row locked (a double click waits here, then sees the first run):
    refused while a run for everyone goes; else the load, the run queued, the open round locked on
    it, and only then the Stage row -- no moment when the stage shows a run a guess may still beat."""
    Classroom.objects.select_for_update().filter(id=classroom.id).exists()
    if launched_running(classroom):
        raise ClassRefused(409, LAUNCH_BUSY)
    load = load_now()
    run = lifecycle.run_enqueue(spec=spec, owner=classroom.teacher, priority=PRIORITY_STAGE)
    locked = rounds.round_lock_row(classroom_id=classroom.id, run_id=run.id)
    Stage.objects.create(classroom=classroom, run=run, load=load)
    return run, locked


Launched = tuple[Run, Round | None, tuple[dict, list[dict]] | None, tuple[str, dict, dict] | None]


def _launch_news(classroom: Classroom, spec: dict) -> Launched:
    """The launch, then (committed) what its two announcements say, read in the same trip to the sync thread:
    (run, round locked, its news, the stage's news); the news None if reading it failed."""
    run, locked = _launch(classroom, spec)
    try:
        return run, locked, rounds.round_lock_news(locked), stage_news(classroom.id)
    except DatabaseError:  # committed all the same: the run goes, and stage_launch reads them again
        logger.exception("class %s: reading the launch's announcements failed; reading them again", classroom.code)
        return run, locked, None, None


async def stage_launch(*, classroom: Classroom, spec: dict) -> tuple[Run, dict]:
    """Launch `spec` (a stored RunSpec) for everyone; returns the run and the teacher's <stage>.

    Announced the moment it commits: the worker may start the run then, and every page can follow it
    only once told. What the announcements say is read in the launch's own trip to the sync thread,
    not in up to five more: with a class of 100 busy on its sockets, each trip there and back took
    15-40 ms, so the run's first events had come and gone before a page heard of it (bench/classroom.py)."""
    run, locked, round_news, news = await sync_to_async(_launch_news)(classroom, spec)
    lifecycle.run_wake()
    if news is None:
        await rounds.round_lock_announce(classroom=classroom, round_=locked)
        return run, await stage_announce(classroom=classroom)
    await rounds.round_lock_send(classroom=classroom, news=round_news)
    await stage_send(*news)
    return run, news[1]


async def stage_set(*, classroom: Classroom, runs: list) -> dict:
    """Hand the stage to `runs` (ids); returns the teacher's <stage>."""
    ids = _run_ids(runs)
    found = {str(run.id): run async for run in Run.objects.filter(id__in=ids, owner=classroom.teacher)}
    # A learner's: made while in the class (the gallery's window: from joining until the class's end).
    found.update({str(run.id): run async for run in gallery.learner_runs(classroom).filter(id__in=ids)})
    owners = {run.owner for run in found.values()}
    present = Learner.objects.filter(classroom=classroom, visitor__in=owners, removed=None)
    learners = {x.visitor: x async for x in present}
    for i, key in enumerate(ids):
        run = found.get(str(key))
        if run is None or (run.owner != classroom.teacher and run.owner not in learners):  # removed meanwhile
            why = f"runs[{i}]: no run {key} of this class's teacher or learners. {RUNS_RULE}"
            raise ClassRefused(400, why, field="runs")
    chosen = [found[str(key)] for key in ids]
    first = chosen[0] if chosen else None
    await Stage.objects.acreate(
        classroom=classroom,
        run=first,
        other=chosen[1] if len(chosen) > 1 else None,
        learner=learners.get(first.owner) if first is not None else None,
        load=await _load_of(classroom, chosen),
    )
    return await stage_announce(classroom=classroom)


def _run_ids(runs) -> list[uuid.UUID]:
    if not isinstance(runs, list) or len(runs) > MAX_STAGE_RUNS:
        raise ClassRefused(400, RUNS_RULE, field="runs")
    ids = []
    for item in runs:
        try:
            ids.append(uuid.UUID(item) if isinstance(item, str) and len(item) <= 36 else None)
        except ValueError:
            ids.append(None)
    if None in ids or len(set(ids)) != len(ids):
        raise ClassRefused(400, RUNS_RULE, field="runs")
    return [key for key in ids if key is not None]


async def _load_of(classroom: Classroom, runs: list[Run]) -> dict:
    """A run launched for everyone, back on stage alone, keeps the load recorded at its launch."""
    if len(runs) != 1:
        return {}
    async for row in Stage.objects.filter(classroom=classroom, run=runs[0]).order_by("-id"):
        if row.load:
            return row.load
    return {}
