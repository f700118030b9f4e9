"""Rounds of predictions: the teacher opens a round, learners guess the wall time, the stage run
locks it, the teacher reveals the class's guesses against the measured time.

    round_open(classroom, spec)             -> Round    round N+1; an open, unlocked round is replaced
    guess_submit(classroom, learner, ms)    -> (Round, created)   ClassRefused 409 (no open round, locked)
    round_lock(classroom, run)              -> Round | None   the open round locks on `run` (the stage's
                                            launch: round_lock_row in its transaction, then round_lock_news
                                            read in the same trip, and round_lock_send)
    round_reveal(classroom)                 -> reveal dict    ClassRefused 409 (not locked, run not finished)
    reveal_announce(classroom)              the latest reveal to the learners again (names shown or hidden)
    round_hello(classroom, role)            -> {"round", "reveal"; "mine" (a learner), "guessed" (the teacher)}
    rounds_history(classroom)               -> every round, names and guesses (the teacher's)

A round's state follows from its row: revealed, else locked, else open if it is the class's latest
round, else replaced (a newer round was opened before this one locked). What goes out:

    class-<code>-teacher        {"type": "class.round", "round": {number, state, spec, guesses: count, run},
                                 "guessed": [{id, name}]: who has guessed (not what)}
    class-<code>-learners       the same (a count, never a guess), "mine": null only when a round opens
    class-<code>-learner-<id>   the same with "mine": that learner's own guess, when it changes
    every group, at the reveal  {"type": "class.reveal", "round", "guesses": [{guess_ms, closest,
                                 learner and name (the teacher's group always, the learners' if show_names)}],
                                 "wall_ms", "ideal_ms"}; again to the learners when show_names changes

Before the reveal no learner's socket or answer carries another learner's guess: only counts.
"""

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from playground.classes import folding, services
from playground.classes.models import Classroom, Guess, Learner, Round
from playground.classes.services import ClassRefused, Role
from playground.runs.models import Run

MIN_GUESS_MS = 1
MAX_GUESS_MS = 600_000  # ten minutes: longer than any run may last (MAX_RUN_SECONDS), so any sensible guess fits
GUESS_RULE = f"Must be a whole number of milliseconds from {MIN_GUESS_MS:,} to {MAX_GUESS_MS:,} (10 minutes)."


def round_state(round_: Round, latest: int | None) -> str:
    if round_.revealed:
        return "revealed"
    if round_.locked:
        return "locked"
    return "open" if round_.number == latest else "replaced"


def round_public(round_: Round, *, latest: int | None, count: int) -> dict:
    """What every socket may know of a round: a count of guesses, never one."""
    return {
        "number": round_.number,
        "state": round_state(round_, latest),
        "spec": round_.spec,
        "guesses": count,
        "run": str(round_.run_id) if round_.run_id else None,
    }


# --- Reading ------------------------------------------------------------------------------------


def _latest(classroom_id: int) -> Round | None:
    return Round.objects.filter(classroom_id=classroom_id).order_by("-number").first()


# A removed learner's guess leaves the round with them: out of the count, the who-guessed list and
# the reveal (a removed name is never starred on the class's screens); the teacher's history keeps it.
PRESENT = {"learner__removed": None}


def _public(round_: Round) -> dict:
    return round_public(round_, latest=round_.number, count=round_.guesses.filter(**PRESENT).count())


def _guessed(round_id: int) -> list[dict]:
    """Who has guessed (learners still in the class), in the order they first did: the teacher's, never what."""
    guesses = Guess.objects.filter(round_id=round_id, **PRESENT).select_related("learner").order_by("id")
    return [{"id": g.learner_id, "name": g.learner.name} for g in guesses]


def _guesses(round_: Round) -> list[Guess]:
    """The guesses of learners still in the class, smallest first: what a reveal shows."""
    return list(round_.guesses.filter(**PRESENT).select_related("learner").order_by("guess_ms", "id"))


def closest_of(guesses: list[Guess], wall_ms: int | None) -> list[bool]:
    """Which guesses are nearest the wall time (ties: every one of them); none before it is known."""
    off = [abs(g.guess_ms - wall_ms) if wall_ms is not None else None for g in guesses]
    best = min((x for x in off if x is not None), default=None)
    return [best is not None and x == best for x in off]


def reveal_of(round_: Round, guesses: list[Guess], *, names: bool) -> dict:
    """The class.reveal message of a revealed round. Who guessed what (each guess's learner id and
    name) only when `names`: without them a learner who once saw the roster with names could map
    stable ids back to names; a learner's page finds its own guess from its own "mine"."""
    out = []
    for g, near in zip(guesses, closest_of(guesses, round_.wall_ms), strict=True):
        item: dict = {"guess_ms": g.guess_ms, "closest": near}
        if names:
            item |= {"learner": g.learner_id, "name": g.learner.name}
        out.append(item)
    return {
        "type": "class.reveal",
        "round": round_.number,
        "guesses": out,
        "wall_ms": round_.wall_ms,
        "ideal_ms": round_.ideal_ms,
    }


def _hello(classroom: Classroom, role: Role) -> dict:
    round_ = _latest(classroom.id)
    if round_ is None:
        return {"round": None, "reveal": None}
    out: dict = {"round": _public(round_), "reveal": None}
    if role.kind == "teacher":
        out["guessed"] = _guessed(round_.id)
    if round_.revealed:
        names = role.kind == "teacher" or classroom.show_names
        out["reveal"] = reveal_of(round_, _guesses(round_), names=names)
    if role.kind == "learner" and role.learner is not None:
        mine = Guess.objects.filter(round=round_, learner=role.learner)
        out["mine"] = mine.values_list("guess_ms", flat=True).first()
    return out


async def round_hello(*, classroom: Classroom, role: Role) -> dict:
    """The latest round (null if none), its reveal if revealed, and a learner's own guess ("mine")."""
    return await sync_to_async(_hello)(classroom, role)


# --- Writing ------------------------------------------------------------------------------------


@transaction.atomic
def _open(classroom_id: int, spec: dict | None) -> Round:
    # The class row locked: two opens at once get numbers one after the other.
    Classroom.objects.select_for_update().filter(id=classroom_id).exists()
    latest = _latest(classroom_id)
    return Round.objects.create(classroom_id=classroom_id, number=(latest.number if latest else 0) + 1, spec=spec)


async def round_open(*, classroom: Classroom, spec: dict | None) -> dict:
    """Open round N+1 (the open round before it, unlocked, is replaced: kept, never locked); tell everyone."""
    round_ = await sync_to_async(_open)(classroom.id, spec)
    public = round_public(round_, latest=round_.number, count=0)
    await _send_round(classroom, public, guessed=[], learners_mine=True)
    return public


@transaction.atomic
def _guess(classroom_id: int, learner_id: int, guess_ms: int) -> tuple[Round, bool, list[dict]]:
    round_ = Round.objects.select_for_update().filter(classroom_id=classroom_id).order_by("-number").first()
    if round_ is None:
        raise ClassRefused(409, "No round is open: wait for your teacher to open one.")
    if round_.revealed or round_.locked:
        raise ClassRefused(409, f"Round {round_.number} is locked: the run has started, guesses are closed.")
    _, created = Guess.objects.update_or_create(round=round_, learner_id=learner_id, defaults={"guess_ms": guess_ms})
    return round_, created, _guessed(round_.id)


async def guess_submit(*, classroom: Classroom, learner: Learner, guess_ms: int) -> tuple[dict, bool]:
    """A learner's guess in the open round (a new one, or a change until the lock): (round, created)."""
    round_, created, guessed = await sync_to_async(_guess)(classroom.id, learner.id, guess_ms)
    public = round_public(round_, latest=round_.number, count=len(guessed))
    await _count_announce(classroom)
    layer = get_channel_layer()
    mine = {"type": "class.round", "round": public, "mine": guess_ms}
    await layer.group_send(services.learner_group(classroom.code, learner.id), mine)
    return public, created


@transaction.atomic
def round_lock_row(*, classroom_id: int, run_id) -> Round | None:
    """The open round (if any) locked on `run_id`, in the caller's transaction (the stage's launch);
    tell everyone after it commits (round_lock_news, round_lock_send; or round_lock_announce, both)."""
    round_ = Round.objects.select_for_update().filter(classroom_id=classroom_id).order_by("-number").first()
    if round_ is None or round_.locked or round_.revealed:
        return None
    round_.locked, round_.run_id = timezone.now(), run_id
    round_.save(update_fields=["locked", "run"])
    return round_


def round_lock_news(round_: Round | None) -> tuple[dict, list[dict]] | None:
    """What round_lock_send says of a round round_lock_row locked (None if it locked none): its public
    form and who guessed, read once it has committed."""
    return None if round_ is None else (_public(round_), _guessed(round_.id))


async def round_lock_send(*, classroom: Classroom, news: tuple[dict, list[dict]] | None) -> None:
    """class.round for the round round_lock_news read (nothing if none was locked)."""
    if news is not None:
        await _send_round(classroom, news[0], guessed=news[1])


async def round_lock_announce(*, classroom: Classroom, round_: Round | None) -> None:
    """class.round for a round round_lock_row locked (nothing if it locked none)."""
    await round_lock_send(classroom=classroom, news=await sync_to_async(round_lock_news)(round_))


async def round_lock(*, classroom: Classroom, run: Run) -> Round | None:
    """The teacher pressed Run for everyone: the open round (if any) locks on `run`; tell everyone."""
    round_ = await sync_to_async(round_lock_row)(classroom_id=classroom.id, run_id=run.id)
    await round_lock_announce(classroom=classroom, round_=round_)
    return round_


def _reveal(classroom_id: int) -> tuple[Round, list[Guess]]:
    with transaction.atomic():
        round_ = Round.objects.select_for_update().filter(classroom_id=classroom_id).order_by("-number").first()
        if round_ is None or not round_.locked:
            state = "no round yet" if round_ is None else f"round {round_.number} is still open"
            raise ClassRefused(
                409, f"Nothing to reveal: {state}. Open a round, let the class guess, then press Run for everyone."
            )
        if not round_.revealed:
            round_.wall_ms, round_.ideal_ms = _measured(round_)
            round_.revealed = timezone.now()
            round_.save(update_fields=["wall_ms", "ideal_ms", "revealed"])
    return round_, _guesses(round_)


def _measured(round_: Round) -> tuple[int, int | None]:
    """(wall_ms, ideal_ms) of the round's run; ClassRefused 409 until it has finished."""
    run = Run.objects.filter(id=round_.run_id).first() if round_.run_id else None
    if run is None:
        raise ClassRefused(409, f"Round {round_.number}'s run is gone (deleted): there is no time to reveal.")
    if run.status in Run.ACTIVE:
        raise ClassRefused(409, f"The run is still {run.status}: reveal once it has finished.")
    summary = run.summary or {}
    if run.status != Run.Status.FINISHED or summary.get("wall_s") is None:
        raise ClassRefused(
            409, f"The run ended {run.status}, without a wall time to reveal: open a new round and run again."
        )
    ideal = summary.get("ideal_s")
    return round(summary["wall_s"] * 1000), (round(ideal * 1000) if ideal is not None else None)


async def round_reveal(*, classroom: Classroom) -> dict:
    """Reveal the latest round once its run has finished (again: the same reveal); tell every socket."""
    round_, guesses = await sync_to_async(_reveal)(classroom.id)
    classroom = await Classroom.objects.aget(id=classroom.id)  # show_names as it is now
    teacher = reveal_of(round_, guesses, names=True)
    layer = get_channel_layer()
    guessed = [{"id": g.learner_id, "name": g.learner.name} for g in sorted(guesses, key=lambda g: g.id)]
    await _send_round(classroom, round_public(round_, latest=round_.number, count=len(guesses)), guessed=guessed)
    await layer.group_send(services.teacher_group(classroom.code), teacher)
    learners = teacher if classroom.show_names else reveal_of(round_, guesses, names=False)
    await layer.group_send(services.learners_group(classroom.code), learners)
    return teacher


def _revealed_latest(classroom_id: int) -> tuple[Round, list[Guess]] | None:
    round_ = _latest(classroom_id)
    return (round_, _guesses(round_)) if round_ is not None and round_.revealed else None


async def reveal_announce(*, classroom: Classroom) -> None:
    """The teacher showed or hid names: the latest round's reveal (if revealed) to every learner again,
    with names and ids only if shown now (the teacher's copy always has them: unchanged, not sent)."""
    classroom = await Classroom.objects.aget(id=classroom.id)  # show_names as it is now
    found = await sync_to_async(_revealed_latest)(classroom.id)
    if found is None:
        return
    learners = reveal_of(*found, names=classroom.show_names)
    await get_channel_layer().group_send(services.learners_group(classroom.code), learners)


def _latest_guessed(classroom_id: int) -> tuple[Round, list[dict]] | None:
    round_ = _latest(classroom_id)
    return None if round_ is None else (round_, _guessed(round_.id))


async def _count_announce(classroom: Classroom) -> None:
    """The latest round's count (and, to the teacher, who has guessed) after a guess or a removal:
    folded, so a class guessing at once sends it a few times, not once a guess to every socket
    (folding.py). It reads the round when it sends: a round locked meanwhile goes out locked, as it
    is; a revealed one not at all (its reveal stays as the pages drew it)."""

    async def send() -> None:
        latest = await sync_to_async(_latest_guessed)(classroom.id)
        if latest is not None and not latest[0].revealed:
            round_, guessed = latest
            public = round_public(round_, latest=round_.number, count=len(guessed))
            await _send_round(classroom, public, guessed=guessed)

    await folding.fold(f"round:{classroom.code}", send)


async def round_removed_announce(*, classroom: Classroom) -> None:
    """A learner was removed: the open (or locked) round's count and who guessed, without them."""
    await _count_announce(classroom)


async def _send_round(classroom: Classroom, public: dict, *, guessed: list[dict], learners_mine: bool = False) -> None:
    """class.round to the teacher (with who has guessed: `guessed`) and to every learner (a count only;
    "mine": null for a new round)."""
    layer = get_channel_layer()
    message: dict = {"type": "class.round", "round": public}
    await layer.group_send(services.teacher_group(classroom.code), {**message, "guessed": guessed})
    if learners_mine:
        message = {**message, "mine": None}
    await layer.group_send(services.learners_group(classroom.code), message)


# --- History ------------------------------------------------------------------------------------


def error_ms(guess_ms: int, wall_ms: int | None) -> int | None:
    """How far off a guess was (signed: positive is too long), once the wall time is known."""
    return None if wall_ms is None else guess_ms - wall_ms


def _history(classroom_id: int) -> list[dict]:
    present = Count("guesses", filter=Q(guesses__learner__removed=None))
    rounds = list(Round.objects.filter(classroom_id=classroom_id).annotate(n=present).order_by("number"))
    latest = rounds[-1].number if rounds else None
    guesses: dict[int, list[Guess]] = {}
    every = Guess.objects.filter(round__classroom_id=classroom_id).select_related("learner")
    for g in every.order_by("guess_ms", "id"):
        guesses.setdefault(g.round_id, []).append(g)
    out = []
    for r in rounds:
        mine = guesses.get(r.id, [])
        shown = [g for g in mine if g.learner.removed is None]  # what the reveal showed
        closest = {g.learner_id for g, near in zip(shown, closest_of(shown, r.wall_ms), strict=True) if near}
        out.append(
            {
                **round_public(r, latest=latest, count=r.n),
                "opened": r.opened.isoformat(),
                "locked": r.locked.isoformat() if r.locked else None,
                "revealed": r.revealed.isoformat() if r.revealed else None,
                "wall_ms": r.wall_ms,
                "ideal_ms": r.ideal_ms,
                "entries": [
                    {
                        "learner": g.learner_id,
                        "name": g.learner.name,
                        "guess_ms": g.guess_ms,
                        # Known only once revealed: the wall time is kept at the reveal.
                        "error_ms": error_ms(g.guess_ms, r.wall_ms),
                        "closest": r.revealed is not None and g.learner_id in closest,
                        "removed": g.learner.removed is not None,  # out of the count and the reveal
                    }
                    for g in mine
                ],
            }
        )
    return out


async def rounds_history(*, classroom: Classroom) -> list[dict]:
    """Every round of the class, oldest first, with each guess and its learner's name (the teacher's)."""
    return await sync_to_async(_history)(classroom.id)


# --- CSV --------------------------------------------------------------------------------------

CSV_HEADER = ["round", "learner", "guess_ms", "wall_ms", "ideal_ms", "error_ms"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula (OWASP: CSV injection)


def csv_safe(text: str) -> str:
    """A name a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def history_rows(history: list[dict]) -> list[list]:
    """One row per guess: round, learner's name ("(removed)" after it: not counted, not revealed), guess,
    wall and ideal time, error (blank until revealed)."""
    rows: list[list] = [CSV_HEADER]
    for r in history:
        for e in r["entries"]:
            name = f"{e['name']} (removed)" if e["removed"] else e["name"]
            rows.append([r["number"], csv_safe(name), e["guess_ms"], r["wall_ms"], r["ideal_ms"], e["error_ms"]])
    return rows
