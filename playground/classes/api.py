"""/api/classes on the playground's django-ninja API (registered in playground/urls.py).

    POST   /api/classes                           201 {code, join_url, ws, expires_at}: the calling browser teaches it;
                                                  429 too many from the caller's address (Retry-After)
    GET    /api/classes/<code>                    200 what anyone with the code may know, and who you are in it
    POST   /api/classes/<code>/join {"name"}      201 joined, 200 renamed (same browser); 400 name, 403 removed,
                                                  409 full or the teacher, 429 too many joins into the class
    GET    /api/classes/<code>/roster             200 the learners, names included        teacher only (403)
    PATCH  /api/classes/<code> {"show_names", "runs_paused"}  200 the class's settings    teacher only (403)
           (names shown or hidden: the stage and the latest reveal go to the learners again, as now allowed)
    DELETE /api/classes/<code>/learners/<id>      204 removed; their socket is told       teacher only (403)

Every one: 400 {"errors": {field: [...]}} naming the field (a code that is not a code, a bad
learner id, a bad body), 404 no such class, 410 the class has ended, 429 too many codes that name
no class from the caller's address (services.class_find: guessing). The code may be typed in
either case, with or without its dash. Writes need the CSRF token when they carry cookies, as
/api/runs does; the session they carry (or the one a cookie-less call is given) is the browser.
Bodies are read here, not by ninja, so each refusal names its field in this API's words.
"""

import json
from typing import Annotated, Any

from django.http import HttpResponse
from ninja import Path, Router
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic import ValidationError as PydanticError

from playground.classes import rounds, services, stage
from playground.classes.codes import CODE_RULE, PATTERN
from playground.classes.names import NAME_RULE
from playground.classes.services import ClassRefused
from playground.runs.api import ApiError, FieldErrors, api, cookie_csrf
from playground.runs.views import visitor

MAX_CLASS_BODY_BYTES = 1024  # {"name": ...} or {"show_names": ..., "runs_paused": ...}
MAX_ID = 2**63 - 1  # the database's largest id

router = Router(tags=["classes"])


# --- What goes out -----------------------------------------------------------------------


class ClassCreated(BaseModel):
    code: str
    join_url: str
    ws: str
    expires_at: str


class LearnerOut(BaseModel):
    id: int
    name: str
    joined: str


class ClassOut(BaseModel):
    code: str
    join_url: str
    ws: str
    expires_at: str
    show_names: bool
    runs_paused: bool
    max_learners: int
    teacher: bool
    you: LearnerOut | None


class Roster(BaseModel):
    count: int
    learners: list[LearnerOut]


# --- What comes in -------------------------------------------------------------------------


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(description=f"Your nickname: {NAME_RULE} (trimmed; unique in the class, ignoring case)")


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    show_names: bool | None = Field(None, description="Learners see each other's names (default: only a count)")
    runs_paused: bool | None = Field(
        None, description="Learners' Run buttons paused: their runs are refused (409) until false again"
    )


FIELD_RULES = {
    "name": f"Required, as text: {NAME_RULE}.",
    "show_names": "Must be true or false.",
    "runs_paused": "Must be true or false.",
}


def body_of(
    request, model: type[BaseModel], *, rules: dict[str, str] = FIELD_RULES, max_bytes: int = MAX_CLASS_BODY_BYTES
) -> Any:
    """The JSON body as `model`; ClassRefused 400 naming each bad field (in `rules`' words)."""
    if len(request.body) > max_bytes:
        raise ClassRefused(400, f"Body too large: at most {max_bytes:,} bytes.", field="__all__")
    allowed = ", ".join(model.model_fields)
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise ClassRefused(400, f"The body must be a JSON object with the fields: {allowed}.", field="__all__")
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        errors: dict[str, list[str]] = {}
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "__all__"
            text = rules.get(name, f"Unknown field; allowed fields: {allowed}.")
            if text not in errors.setdefault(name, []):
                errors[name].append(text)
        raise _Invalid(errors) from None


class _Invalid(ClassRefused):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(400, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@api.exception_handler(ClassRefused)
def _refused(request, exc: ClassRefused):
    if isinstance(exc, _Invalid):
        body: dict = {"errors": exc.errors}
    elif exc.status == 400:
        body = {"errors": {exc.field or "__all__": [str(exc)]}}
    else:
        body = {"error": str(exc)}
    response = api.create_response(request, body, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def learner_id_of(text: str) -> int:
    # The length first: int() refuses more than 4,300 digits (a ValueError, a 500 if unchecked).
    if len(text) > len(str(MAX_ID)) or not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise ClassRefused(400, f"Must be a learner's id, a whole number from 1 to {MAX_ID}.", field="learner_id")
    return int(text)


def session_visitor(request) -> str | None:
    """The browser's visitor id, without making one: a request without cookies is nobody."""
    return request.session.get("visitor") if request.COOKIES else None


def address_of(request) -> str:
    return request.META.get("REMOTE_ADDR") or "?"


async def teacher_class(request, code: str):
    classroom = await services.class_find(code=code, address=address_of(request))
    role = await services.class_role(classroom=classroom, visitor=session_visitor(request))
    if role.kind != "teacher":
        raise ClassRefused(403, "Only this class's teacher may do that (the browser that started the class).")
    return classroom


def described(**answers: str) -> dict:
    return {int(status.lstrip("_")): {"description": text} for status, text in answers.items()}


# Path parameters are read by class_find and learner_id_of, whose refusals name them; the document
# states what they accept (WithJsonSchema describes without validating).
Code = Annotated[str, WithJsonSchema({"type": "string", "pattern": PATTERN, "description": CODE_RULE}), Path(...)]
LearnerId = Annotated[
    str,
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "A learner's id"}),
    Path(...),
]
ERRORS = {400: FieldErrors, 403: ApiError, 404: ApiError, 410: ApiError, 429: ApiError}
COMMON = {
    **described(
        _400="Field errors naming the field: code (not a class code), learner_id, or the body's fields",
        _403="Not this class's teacher, or cookies without the CSRF token",
        _410="The class has ended",
        _429="Too many unknown class codes from your network (guessing): see Retry-After",
    ),
    # A path that is no route at all (an empty code, a "/" in it) gets the site's HTML 404 page.
    404: {
        "description": "No class with this code (or no such learner in it); the site's HTML page for a path "
        "that matches no route",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}
PUBLIC = {status: answer for status, answer in COMMON.items() if status != 403}


def body_doc(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


# --- The operations ---------------------------------------------------------------------------


@router.post(
    "",
    auth=cookie_csrf,
    response={201: ClassCreated, 403: ApiError, 429: ApiError},
    summary="Start a class: the calling browser is its teacher",
    openapi_extra={
        "responses": described(
            _201="The class: its code, join page, socket and end",
            _403="No CSRF token, or sent by another site's page",
            _429="Too many classes started from your network: see Retry-After",
        )
    },
)
async def classes_create(request):
    classroom = await services.class_create(teacher=visitor(request), address=address_of(request))
    return 201, {**services.class_urls(classroom), "expires_at": classroom.expires_at.isoformat()}


@router.get(
    "/{code}",
    response={200: ClassOut, 400: FieldErrors, 404: ApiError, 410: ApiError, 429: ApiError},
    summary="A class as the caller sees it: its code, settings, and whether the caller teaches or joined it",
    openapi_extra={"responses": {**PUBLIC, 200: {"description": "The class"}}},
)
async def classes_detail(request, code: Code):
    classroom = await services.class_find(code=code, address=address_of(request))
    role = await services.class_role(classroom=classroom, visitor=session_visitor(request))
    you = services.learner_public(role.learner) if role.kind == "learner" and role.learner else None
    return 200, {**services.class_public(classroom), "teacher": role.kind == "teacher", "you": you}


@router.post(
    "/{code}/join",
    auth=cookie_csrf,
    response={200: LearnerOut, 201: LearnerOut, **ERRORS, 409: ApiError},
    summary="Join a class with a nickname (again from the same browser: a new name)",
    openapi_extra={
        **body_doc(JoinIn),
        "responses": {
            **PUBLIC,
            **described(
                _201="Joined: you are this learner in the class",
                _200="Already in the class from this browser: renamed",
                _403="The teacher removed this browser from the class, or cookies without the CSRF token",
                _409="The class is full, or you are its teacher",
                _429="Too many joins into this class, or unknown codes from your network: see Retry-After",
            ),
        },
    },
)
async def classes_join(request, code: Code):
    payload = body_of(request, JoinIn)
    classroom = await services.class_find(code=code, address=address_of(request))
    learner, created = await services.learner_join(classroom=classroom, visitor=visitor(request), name=payload.name)
    return (201 if created else 200), services.learner_public(learner)


@router.get(
    "/{code}/roster",
    response={200: Roster, **ERRORS},
    summary="The learners in the class, with their names (the teacher only)",
    openapi_extra={"responses": {**COMMON, 200: {"description": "The roster, in the order they joined"}}},
)
async def classes_roster(request, code: Code):
    classroom = await teacher_class(request, code)
    learners = await services.class_roster(classroom=classroom)
    return 200, {"count": len(learners), "learners": [services.learner_public(x) for x in learners]}


@router.patch(
    "/{code}",
    auth=cookie_csrf,
    response={200: ClassOut, **ERRORS},
    summary="Change the class's settings (the teacher only)",
    openapi_extra={**body_doc(SettingsIn), "responses": {**COMMON, 200: {"description": "The class, as changed"}}},
)
async def classes_update(request, code: Code):
    payload = body_of(request, SettingsIn)
    classroom = await teacher_class(request, code)
    named = classroom.show_names
    classroom = await services.class_update(
        classroom=classroom, show_names=payload.show_names, runs_paused=payload.runs_paused
    )
    if classroom.show_names != named:  # what the learners were shown with or without names, again
        await stage.stage_names_announce(classroom=classroom)
        await rounds.reveal_announce(classroom=classroom)
    return 200, {**services.class_public(classroom), "teacher": True, "you": None}


@router.delete(
    "/{code}/learners/{learner_id}",
    auth=cookie_csrf,
    response={**ERRORS},
    summary="Remove a learner from the class (the teacher only); their page is told, and they cannot join again",
    openapi_extra={"responses": {**COMMON, 204: {"description": "Removed"}}},
)
async def classes_remove(request, code: Code, learner_id: LearnerId):
    number = learner_id_of(learner_id)
    classroom = await teacher_class(request, code)
    await services.learner_remove(classroom=classroom, learner_id=number)
    await rounds.round_removed_announce(classroom=classroom)
    return HttpResponse(status=204)
