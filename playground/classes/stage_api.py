"""/api/classes/<code>/runs and /stage: the stage on the playground's API (registered in playground/urls.py).

    POST /api/classes/<code>/runs  <run spec>            201 {id, url, ws, stage}: run for everyone   teacher only
                                   (validated by RunSpec, as POST /api/runs; 429 the same abuse caps;
                                   409 while the last run for everyone is queued or running)
    POST /api/classes/<code>/stage {"runs": [id, ...]}   200 <stage>: 0, 1 or 2 runs on stage         teacher only
    GET  /api/classes/<code>/stage                       200 <stage>   the teacher or a learner of the class

<stage> is stage.py's; names of learners only to the teacher, or to learners if the teacher shows them.
Refusals as in classes/api.py: 400 naming the field, 403 anyone but the teacher (or cookies without
the CSRF token), 404, 410, 429.
"""

from typing import Literal

from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from playground.classes import services, stage
from playground.classes.api import (
    COMMON,
    ERRORS,
    Code,
    address_of,
    body_doc,
    body_of,
    described,
    session_visitor,
    teacher_class,
)
from playground.classes.services import ClassRefused
from playground.runs.admission import RunRefused
from playground.runs.api import ApiError, cookie_csrf
from playground.runs.lifecycle import run_urls
from playground.runs.spec import RunSpec

router = Router(tags=["classes"])


class StageRun(BaseModel):
    id: str
    url: str
    ws: str
    strategy: str
    n: int
    by: Literal["teacher", "learner"]
    learner: int | None
    name: str | None = Field(description="The learner's name; null unless the caller may see names")


class StageOut(BaseModel):
    rev: int = Field(description="Grows with every change: a page drops a stage older than the one it shows")
    runs: list[StageRun]
    load: dict[str, int] | None = Field(description="Runs running and queued when the teacher launched the run")


class StageLaunched(BaseModel):
    id: str
    url: str
    ws: str
    stage: StageOut


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    runs: list[str] = Field(max_length=stage.MAX_STAGE_RUNS, description=stage.RUNS_RULE)


@router.post(
    "/{code}/runs",
    auth=cookie_csrf,
    response={201: StageLaunched, **ERRORS, 409: ApiError, 413: ApiError},
    summary="Run a spec for everyone in the class: every page follows it live (the teacher only)",
    openapi_extra={
        "requestBody": {"required": True},
        "responses": {
            **COMMON,
            **described(
                _201="Launched ahead of every learner's run, and on stage",
                _400="Field errors of the run spec (as POST /api/runs), or code",
                _409="A run for everyone is still queued or running: wait for it, or cancel it",
                _413="Body too large",
                _429="Too many runs in flight, yours or the server's; or unknown codes from your network",
            ),
        },
    },
)
async def stage_run(request, code: Code, spec: RunSpec):
    classroom = await teacher_class(request, code)
    try:
        run, now = await stage.stage_launch(classroom=classroom, spec=spec.stored())
    except RunRefused as exc:
        raise ClassRefused(429, str(exc)) from None
    return 201, {**run_urls(run), "stage": now}


@router.post(
    "/{code}/stage",
    auth=cookie_csrf,
    response={200: StageOut, **ERRORS},
    summary="Put one run on stage, two compared on one axis, or none (the teacher only)",
    openapi_extra={**body_doc(StageIn), "responses": {**COMMON, 200: {"description": "The stage, as changed"}}},
)
async def stage_change(request, code: Code):
    payload = body_of(request, StageIn, rules={"runs": stage.RUNS_RULE})
    classroom = await teacher_class(request, code)
    return 200, await stage.stage_set(classroom=classroom, runs=payload.runs)


@router.get(
    "/{code}/stage",
    response={200: StageOut, **ERRORS},
    summary="What is on the class's stage (its teacher and learners)",
    openapi_extra={
        "responses": {
            **COMMON,
            **described(_200="The stage", _403="Neither the class's teacher nor one of its learners"),
        }
    },
)
async def stage_detail(request, code: Code):
    classroom = await services.class_find(code=code, address=address_of(request))
    role = await services.class_role(classroom=classroom, visitor=session_visitor(request))
    if role.kind not in ("teacher", "learner"):
        raise ClassRefused(403, "Only this class's teacher and learners may see its stage: join the class first.")
    return 200, await stage.stage_now(classroom=classroom, names=role.kind == "teacher" or classroom.show_names)
