"""Rounds of predictions on the class API (/api/classes..., registered in playground/urls.py).

    POST /api/classes/<code>/rounds {"spec"?: run spec}   201 <round>: round N+1 is open      teacher only (403)
    POST /api/classes/<code>/guesses {"guess_ms"}         201 first guess, 200 changed         learners only (403)
                                                          409 no round open, or it is locked
    POST /api/classes/<code>/reveal                       200 <reveal>; 409 nothing locked, run not finished
                                                                                               teacher only (403)
    GET  /api/classes/<code>/rounds                       200 {"rounds": [...]}, names and guesses   teacher only
    GET  /api/classes/<code>/rounds.csv                   200 text/csv, one line per guess           teacher only

Refusals as the rest of /api/classes (classes/api.py): 400 naming the field and its range, 404,
410, 429. The spec a round predicts is checked by the run API's own RunSpec; its errors are keyed
"spec.<field>". The body is checked before the caller (a bad body is a 400 from anyone).
"""

import csv
import io
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field, field_validator

from playground.classes import rounds, services
from playground.classes.api import (
    COMMON,
    ERRORS,
    Code,
    _Invalid,
    address_of,
    body_doc,
    body_of,
    described,
    session_visitor,
    teacher_class,
)
from playground.classes.codes import code_shown
from playground.classes.rounds import GUESS_RULE, MAX_GUESS_MS, MIN_GUESS_MS
from playground.classes.services import ClassRefused
from playground.runs.api import MAX_BODY_BYTES, ApiError, cookie_csrf
from playground.runs.spec import SpecError, spec_from_json

router = Router(tags=["classes"])

STATES = ("open", "locked", "revealed", "replaced")


# --- What goes out -------------------------------------------------------------------------------


class RoundOut(BaseModel):
    number: int
    state: Literal[STATES]  # type: ignore[valid-type]
    spec: dict[str, Any] | None
    guesses: int = Field(description="How many learners have guessed (a count: no one's guess before the reveal)")
    run: str | None = Field(description="The stage run the round locked on")


class GuessOut(BaseModel):
    round: RoundOut
    guess_ms: int


class RevealedGuess(BaseModel):
    guess_ms: int
    learner: int
    name: str | None = None
    closest: bool


class RevealOut(BaseModel):
    type: Literal["class.reveal"]
    round: int
    guesses: list[RevealedGuess]
    wall_ms: int
    ideal_ms: int | None


class Entry(BaseModel):
    learner: int
    name: str
    guess_ms: int
    error_ms: int | None = Field(description="guess_ms - wall_ms once revealed: positive is too long")
    closest: bool
    removed: bool = Field(description="the teacher removed this learner: not counted, not in the reveal")


class RoundHistory(RoundOut):
    opened: str
    locked: str | None
    revealed: str | None
    wall_ms: int | None
    ideal_ms: int | None
    entries: list[Entry]


class History(BaseModel):
    rounds: list[RoundHistory]


# --- What comes in ----------------------------------------------------------------------------


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    spec: dict[str, Any] | None = Field(None, description="The run the class predicts, as POST /api/runs takes it")


class GuessIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    guess_ms: int = Field(ge=MIN_GUESS_MS, le=MAX_GUESS_MS, description="Your guess of the run's wall time, in ms")

    @field_validator("guess_ms", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        """800.0 is the integer 800 (as in JSON Schema); 800.5, true and "800" stay, and are refused."""
        return int(value) if type(value) is float and value.is_integer() else value


RULES = {
    "spec": "A run spec as POST /api/runs takes it (a JSON object), or leave it out.",
    "guess_ms": f"Required. {GUESS_RULE}",
}
ROUND_DOC = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"spec": {"anyOf": [{"$ref": "#/components/schemas/RunSpec"}, {"type": "null"}]}},
                }
            }
        },
    }
}
TEACHER = "Not this class's teacher, or cookies without the CSRF token"


def round_spec(request) -> dict | None:
    """The body's spec, checked as the run API checks one (stored form), or None; 400 naming each field."""
    payload = body_of(request, RoundIn, rules=RULES, max_bytes=MAX_BODY_BYTES) if request.body else RoundIn(spec=None)
    if payload.spec is None:
        return None
    try:
        return spec_from_json(payload.spec)
    except SpecError as exc:
        raise _Invalid({f"spec.{k}" if k != "__all__" else "spec": v for k, v in exc.errors.items()}) from None


# --- The operations ------------------------------------------------------------------------------


@router.post(
    "/{code}/rounds",
    auth=cookie_csrf,
    response={201: RoundOut, **ERRORS},
    summary="Open a round of guesses (the teacher only): learners guess the next stage run's wall time",
    openapi_extra={
        **ROUND_DOC,
        "responses": {
            **COMMON,
            **described(_201="Round N+1, open; an open round before it that never locked is replaced"),
        },
    },
)
async def rounds_open(request, code: Code):
    spec = round_spec(request)
    classroom = await teacher_class(request, code)
    return 201, await rounds.round_open(classroom=classroom, spec=spec)


@router.post(
    "/{code}/guesses",
    auth=cookie_csrf,
    response={200: GuessOut, 201: GuessOut, **ERRORS, 409: ApiError},
    summary="Guess the wall time of the round's run (learners only); change it until the run starts",
    openapi_extra={
        **body_doc(GuessIn),
        "responses": {
            **COMMON,
            **described(
                _201="Your guess, counted",
                _200="Your guess, changed",
                _403="Not a learner in this class (the teacher does not guess), or cookies without the CSRF token",
                _409="No round is open, or it is locked: the run has started",
            ),
        },
    },
)
async def rounds_guess(request, code: Code):
    payload = body_of(request, GuessIn, rules=RULES)
    classroom = await services.class_find(code=code, address=address_of(request))
    role = await services.class_role(classroom=classroom, visitor=session_visitor(request))
    if role.kind != "learner" or role.learner is None:
        raise ClassRefused(403, "Only learners in this class guess: join it first (the teacher does not guess).")
    public, created = await rounds.guess_submit(classroom=classroom, learner=role.learner, guess_ms=payload.guess_ms)
    return (201 if created else 200), {"round": public, "guess_ms": payload.guess_ms}


@router.post(
    "/{code}/reveal",
    auth=cookie_csrf,
    response={200: RevealOut, **ERRORS, 409: ApiError},
    summary="Reveal the class's guesses against the measured wall time (the teacher only)",
    openapi_extra={
        "responses": {
            **COMMON,
            **described(
                _200="The reveal, sent to every page of the class (names to learners only if shown)",
                _403=TEACHER,
                _409="No locked round to reveal, or its run has not finished",
            ),
        }
    },
)
async def rounds_reveal(request, code: Code):
    classroom = await teacher_class(request, code)
    return 200, await rounds.round_reveal(classroom=classroom)


@router.get(
    "/{code}/rounds",
    response={200: History, **ERRORS},
    summary="Every round of the class with each guess, name and error (the teacher only)",
    openapi_extra={"responses": {**COMMON, 200: {"description": "The rounds, oldest first"}}},
)
async def rounds_list(request, code: Code):
    classroom = await teacher_class(request, code)
    return 200, {"rounds": await rounds.rounds_history(classroom=classroom)}


@router.get(
    "/{code}/rounds.csv",
    response={**ERRORS},
    summary="The rounds as CSV, one line per guess (the teacher only)",
    openapi_extra={
        "responses": {
            **COMMON,
            200: {
                "description": "An attachment: round, learner, guess_ms, wall_ms, ideal_ms, error_ms (blank until "
                "revealed); a name that starts like a formula (= + - @) gets a leading apostrophe",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            },
        }
    },
)
async def rounds_csv(request, code: Code):
    classroom = await teacher_class(request, code)
    out = io.StringIO()
    csv.writer(out).writerows(rounds.history_rows(await rounds.rounds_history(classroom=classroom)))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="class-{code_shown(classroom.code)}-rounds.csv"'
    return response
