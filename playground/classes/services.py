"""The only writers of classes and learners, and what the class's sockets are told.

    class_create(teacher, address)               -> Classroom   ClassRefused 429 (too many from the address)
    class_find(code, address)                    -> Classroom   ClassRefused 400 (not a code), 404, 410 (expired),
                                                                429 (too many unknown codes from the address)
    class_role(classroom, visitor)               -> Role: teacher, learner (with the Learner), removed, or stranger
    class_banner_for(visitor)                    -> {class, you} of the live class a browser learns in, or None
    learner_join(classroom, visitor, name)       -> (Learner, created)   ClassRefused 400/403/409/429
    learner_remove(classroom, learner_id)        ClassRefused 404
    class_update(classroom, show_names, runs_paused) -> Classroom   a pause: class.paused to every socket

Every change to the roster adds one to `roster_rev` in its transaction, then the roster goes out
through the channel layer (`roster_announce`, folded: at most one every folding.FOLD_S) to three
kinds of group:

    class-<code>-teacher      the teacher's sockets: {"type": "class.roster", "rev", "count",
                                                      "learners": [{id, name, joined}]}
    class-<code>-learners     every learner's socket: {"type": "class.roster", "rev", "count", "show_names"}
                              (+ "learners": [{id, name}] when show_names)
    class-<code>-learner-<id> one learner's sockets: {"type": "class.removed"}

Names go only to the groups allowed to see them, so a learner's socket never holds them.
The in-memory channel layer (no REDIS_URL) reaches the sockets of this process only; roster
changes are made by API calls and page posts in the web process itself, so its sockets are told.
"""

import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from playground.classes import folding, limits
from playground.classes.codes import CodeInvalid, code_new, code_normal, code_shown
from playground.classes.gallery import paused_message
from playground.classes.models import Classroom, Learner
from playground.classes.names import NAME_RULE, NameInvalid, name_clean

CODE_ATTEMPTS = 5  # a clash among 2^40 codes is rare; five in a row means something else is wrong


class ClassRefused(Exception):
    """A refusal with its HTTP status; `field` names the input at fault (a 400)."""

    def __init__(self, status: int, message: str, *, field: str | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.field, self.retry_after = status, field, retry_after


@dataclasses.dataclass(frozen=True)
class Role:
    kind: str  # "teacher" | "learner" | "removed" | "stranger"
    learner: Learner | None = None


def teacher_group(code: str) -> str:
    return f"class-{code}-teacher"


def learners_group(code: str) -> str:
    return f"class-{code}-learners"


def learner_group(code: str, learner_id: int) -> str:
    return f"class-{code}-learner-{learner_id}"


def class_urls(classroom: Classroom) -> dict:
    shown = code_shown(classroom.code)
    return {"code": shown, "join_url": f"/class/{shown}/", "ws": f"/ws/classes/{shown}/"}


def class_public(classroom: Classroom) -> dict:
    """What anyone with the code may know of the class."""
    return {
        **class_urls(classroom),
        "expires_at": classroom.expires_at.isoformat(),
        "show_names": classroom.show_names,
        "runs_paused": classroom.runs_paused,
        "max_learners": settings.CLASS_MAX_LEARNERS,
    }


def learner_public(learner: Learner, *, joined: bool = True) -> dict:
    out: dict = {"id": learner.id, "name": learner.name}
    if joined:
        out["joined"] = learner.joined.isoformat()
    return out


# --- Finding a class and who is asking ---------------------------------------------------


async def class_create(*, teacher: str, address: str) -> Classroom:
    wait = await limits.limit_take(f"create-address:{address}", settings.CLASS_CREATES_PER_ADDRESS)
    if wait is not None:
        raise ClassRefused(
            429,
            f"Too many classes started from your network: at most {settings.CLASS_CREATES_PER_ADDRESS} "
            f"{per_window()}; try again in {wait} s.",
            retry_after=wait,
        )
    expires_at = timezone.now() + timedelta(hours=settings.CLASS_TTL_HOURS)
    for _ in range(CODE_ATTEMPTS):
        try:
            return await Classroom.objects.acreate(code=code_new(), teacher=teacher, expires_at=expires_at)
        except IntegrityError:
            continue
    raise RuntimeError(f"no free class code in {CODE_ATTEMPTS} tries")


async def class_find(*, code: str, address: str) -> Classroom:
    """The live class with this code, for a caller at `address`.

    Whether a code exists is what a guesser wants to learn, from any answer (a page, the API, the
    socket): codes that name no class are counted per address, and past CLASS_MISSES_PER_ADDRESS
    in a window every lookup from that address is refused (429) until the window ends. Codes
    that exist cost nothing: a school's learners behind one router all join.
    """
    key = f"miss-address:{address}"
    wait = await limits.limit_spent(key, settings.CLASS_MISSES_PER_ADDRESS)
    if wait is not None:
        raise ClassRefused(
            429,
            f"Too many unknown class codes from your network: at most {settings.CLASS_MISSES_PER_ADDRESS} "
            f"{per_window()}; try again in {wait} s.",
            retry_after=wait,
        )
    try:
        return await _class_live(code)
    except ClassRefused as exc:
        if exc.status == 404:
            await limits.limit_add(key)
        raise


async def _class_live(code: str) -> Classroom:
    try:
        normal = code_normal(code)
    except CodeInvalid as exc:
        raise ClassRefused(400, f"Not a class code: {exc}.", field="code") from None
    classroom = await Classroom.objects.filter(code=normal).afirst()
    if classroom is None:
        raise ClassRefused(404, f"No class with code {code_shown(normal)}: check the code with your teacher.")
    if classroom.expires_at <= timezone.now():
        ended = classroom.expires_at.strftime("%H:%M UTC on %d %b")
        raise ClassRefused(
            410,
            f"Class {code_shown(normal)} ended at {ended} (a class lasts {settings.CLASS_TTL_HOURS:g} hours); "
            "ask your teacher for a new code.",
        )
    return classroom


async def class_role(*, classroom: Classroom, visitor: str | None) -> Role:
    if not visitor:
        return Role("stranger")
    if visitor == classroom.teacher:
        return Role("teacher")
    learner = await Learner.objects.filter(classroom=classroom, visitor=visitor).afirst()
    if learner is None:
        return Role("stranger")
    return Role("removed" if learner.removed else "learner", learner)


async def class_banner_for(*, visitor: str) -> dict | None:
    """What the playground's pages show a learner above the playground: the live class they joined
    last (its public part) and who they are in it; None for anyone else."""
    learner = (
        await Learner.objects.filter(visitor=visitor, removed=None, classroom__expires_at__gt=timezone.now())
        .select_related("classroom")
        .order_by("-joined", "-id")
        .afirst()
    )
    if learner is None:
        return None
    return {"class": class_public(learner.classroom), "you": learner_public(learner)}


# --- Joining, leaving, settings ------------------------------------------------------------


async def _count(key: str, limit: int, whose: str) -> None:
    wait = await limits.limit_take(key, limit)
    if wait is not None:
        raise ClassRefused(
            429, f"Too many joins {whose}: at most {limit} {per_window()}; try again in {wait} s.", retry_after=wait
        )


def per_window() -> str:
    window = settings.CLASS_LIMIT_WINDOW_S
    return "a minute" if window == 60 else f"in {window:,} s"


async def learner_join(*, classroom: Classroom, visitor: str, name: str) -> tuple[Learner, bool]:
    """Join (or, from the same browser, rename) a class found by class_find; refusals name the rule."""
    await _count(f"join-class:{classroom.code}", settings.CLASS_JOINS_PER_CLASS, "into this class")
    try:
        clean = name_clean(name)
    except NameInvalid as exc:
        raise ClassRefused(400, str(exc), field="name") from None
    try:
        learner, created = await sync_to_async(_join)(classroom.id, visitor, clean)
    except IntegrityError:  # another join took the name between our check and our write
        raise ClassRefused(400, NAME_TAKEN, field="name") from None
    await roster_announce(classroom=classroom)
    return learner, created


# Neutral: "'X' is taken" would tell a learner who is in the class when the teacher hides names.
NAME_TAKEN = f"This name cannot be used in this class; please choose another ({NAME_RULE})."


@transaction.atomic
def _join(classroom_id: int, visitor: str, name: str) -> tuple[Learner, bool]:
    # The class row locked: joins into one class go one at a time, so its size limit holds.
    classroom = Classroom.objects.select_for_update().get(id=classroom_id)
    if visitor == classroom.teacher:
        raise ClassRefused(409, "You are this class's teacher; learners join from their own browsers.")
    mine = Learner.objects.filter(classroom=classroom, visitor=visitor).first()
    if mine is not None and mine.removed:
        raise ClassRefused(403, "The teacher removed you from this class; you cannot join it again.")
    key = name.casefold()
    others = Learner.objects.filter(classroom=classroom, removed=None).exclude(visitor=visitor)
    if others.filter(name_key=key).exists():
        raise ClassRefused(400, NAME_TAKEN, field="name")
    if mine is None and others.count() >= settings.CLASS_MAX_LEARNERS:
        raise ClassRefused(409, f"This class is full: at most {settings.CLASS_MAX_LEARNERS} learners.")
    created = mine is None
    if mine is None:
        mine = Learner.objects.create(classroom=classroom, visitor=visitor, name=name, name_key=key)
    else:  # the same browser again: a new name, the same learner
        mine.name, mine.name_key = name, key
        mine.save(update_fields=["name", "name_key"])
    Classroom.objects.filter(id=classroom_id).update(roster_rev=F("roster_rev") + 1)
    return mine, created


async def learner_remove(*, classroom: Classroom, learner_id: int) -> None:
    removed = await sync_to_async(_remove)(classroom.id, learner_id)
    if not removed:
        raise ClassRefused(404, f"No learner {learner_id} in class {code_shown(classroom.code)}.")
    layer = get_channel_layer()
    await layer.group_send(learner_group(classroom.code, learner_id), {"type": "class.removed"})
    await roster_announce(classroom=classroom)


@transaction.atomic
def _remove(classroom_id: int, learner_id: int) -> bool:
    done = Learner.objects.filter(classroom_id=classroom_id, id=learner_id, removed=None).update(removed=timezone.now())
    if done:
        Classroom.objects.filter(id=classroom_id).update(roster_rev=F("roster_rev") + 1)
    return bool(done)


async def class_update(*, classroom: Classroom, show_names: bool | None, runs_paused: bool | None = None) -> Classroom:
    """Change the class's settings (None: unchanged); names shown or hidden go out with the roster,
    a pause or a resume to every socket of the class (gallery.py: the run path refuses learners' runs)."""
    if show_names is not None and show_names != classroom.show_names:
        await Classroom.objects.filter(id=classroom.id).aupdate(show_names=show_names, roster_rev=F("roster_rev") + 1)
        classroom = await Classroom.objects.aget(id=classroom.id)
        await roster_announce(classroom=classroom)
    if runs_paused is not None and runs_paused != classroom.runs_paused:
        await Classroom.objects.filter(id=classroom.id).aupdate(runs_paused=runs_paused)
        classroom = await Classroom.objects.aget(id=classroom.id)
        layer = get_channel_layer()
        for group in (teacher_group(classroom.code), learners_group(classroom.code)):
            await layer.group_send(group, paused_message(runs_paused))
    return classroom


# --- The roster ------------------------------------------------------------------------------


def roster_read(classroom_id: int) -> tuple[int, bool, list[Learner]]:
    """The roster's revision, show_names and the learners in the class, read together."""
    with transaction.atomic():
        rev, show = Classroom.objects.filter(id=classroom_id).values_list("roster_rev", "show_names").get()
        return rev, show, list(Learner.objects.filter(classroom_id=classroom_id, removed=None))


async def roster_now(*, classroom: Classroom) -> tuple[int, bool, list[Learner]]:
    return await sync_to_async(roster_read)(classroom.id)


async def class_roster(*, classroom: Classroom) -> list[Learner]:
    return (await roster_now(classroom=classroom))[2]


def roster_for_teacher(rev: int, learners: list[Learner]) -> dict:
    return {
        "type": "class.roster",
        "rev": rev,
        "count": len(learners),
        "learners": [learner_public(x) for x in learners],
    }


def roster_for_learners(rev: int, show_names: bool, learners: list[Learner]) -> dict:
    out: dict = {"type": "class.roster", "rev": rev, "count": len(learners), "show_names": show_names}
    if show_names:
        out["learners"] = [learner_public(x, joined=False) for x in learners]
    return out


async def roster_announce(*, classroom: Classroom) -> None:
    """The roster to the class's sockets: at once, or folded with the changes of the next FOLD_S."""

    async def send() -> None:
        rev, show, learners = await roster_now(classroom=classroom)
        layer = get_channel_layer()
        await layer.group_send(teacher_group(classroom.code), roster_for_teacher(rev, learners))
        await layer.group_send(learners_group(classroom.code), roster_for_learners(rev, show, learners))

    await folding.fold(f"roster:{classroom.code}", send)
