"""The JSON API on django-ninja: create a run, read it back, cancel it; /api/openapi.json from the models.

    POST /api/runs ──body_parser (size, UTF-8, JSON)──> RunSpec (strict) ──> run_launch ──> 201 {id, url, ws}
                   refusals: 400 {"errors": {field: [...]}}, 403 CSRF, 409 the caller's teacher paused runs
                   (classes/gallery.py), 413 too large, 429 RunRefused
    GET  /api/runs/mine              200 the caller's recent runs, newest first ("Compare with...")
    GET  /api/runs/<uuid>            200 the run and its events, 404
    GET  /api/runs/<uuid>/export?format=json|csv|trace   200 a download (export.py), 400 bad format, 404
    POST /api/runs/<uuid>/cancel     202, 403 not the owner, 404, 409 not running

Requests that carry cookies (a browser) must pass Django's CSRF check; requests
without cookies (curl, scripts) carry no ambient credentials to forge, but one sent by
another site's page (its Origin or Sec-Fetch-Site says so) is refused all the same: its
answer would set a new session cookie in place of the visitor's. An id that is
not a UUID matches no route: Django's HTML 404, as the document says.
"""

import json
import uuid
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from ninja import NinjaAPI, Query
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from pydantic import BaseModel

from playground.classes.gallery import runs_paused_for
from playground.runs import export, lifecycle
from playground.runs.admission import RunRefused
from playground.runs.comparisons import RECENT_RUNS, runs_recent
from playground.runs.eventstore import events_after
from playground.runs.models import Run
from playground.runs.spec import MAX_NUMBER_DIGITS, RunSpec, error_messages
from playground.runs.views import visitor

MAX_BODY_BYTES = 64 * 1024  # a run spec with 10,000 latencies is ~60 KB


# --- What goes out (each documented) ------------------------------------------------


class Created(BaseModel):
    id: str
    url: str
    ws: str


class Cancelling(BaseModel):
    id: str
    status: Literal["cancelling"]


class RunOut(BaseModel):
    id: str
    url: str
    ws: str
    spec: dict[str, Any]
    status: Literal[tuple(Run.Status.values)]  # type: ignore[valid-type]
    summary: dict[str, Any] | None
    events: list[dict[str, Any]]


class RunBrief(BaseModel):
    id: str
    url: str
    ws: str
    strategy: str
    requests: int
    wall_s: float | None
    status: Literal[tuple(Run.Status.values)]  # type: ignore[valid-type]
    created: str


class RecentRuns(BaseModel):
    runs: list[RunBrief]


class FieldErrors(BaseModel):
    """Each field's messages, naming what it accepts; "__all__" for the body as a whole."""

    errors: dict[str, list[str]]


class ApiError(BaseModel):
    error: str


# --- What comes in ------------------------------------------------------------------


class BodyRefused(Exception):
    """A body refused before it is a run spec: too large, not UTF-8, not JSON, too deep."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class CsrfRefused(Exception):
    pass


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise BodyRefused(
            400, f"A number in the body has {digits:,} digits; no field takes more than {MAX_NUMBER_DIGITS}."
        )
    return int(text)


def _no_constant(name: str):
    raise BodyRefused(400, f"Body is not valid JSON: {name} is not a JSON number.")


class BodyParser(Parser):
    """Refuses what is not a small UTF-8 JSON document, each with its own message."""

    def parse_body(self, request):
        if len(request.body) > MAX_BODY_BYTES:
            raise BodyRefused(413, f"Body too large: at most {MAX_BODY_BYTES:,} bytes.")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyRefused(400, f"Body is not UTF-8 text: {exc.reason} at byte {exc.start}.") from None
        try:
            return json.loads(text, parse_int=_json_int, parse_constant=_no_constant)
        except RecursionError:  # json decodes nested arrays and objects by recursion
            raise BodyRefused(400, "Body is nested too deeply: a run spec is one flat JSON object.") from None
        except json.JSONDecodeError as exc:
            raise BodyRefused(400, f"Body is not valid JSON: {exc}") from None


def cookie_csrf(request) -> bool:
    """Ninja's auth hook, used as a gate on every write: a request carrying cookies must pass Django's
    CSRF check; one without cookies must not come from another site's page (see cross_site)."""
    if request.COOKIES:
        if _csrf_refusal(request) is not None:
            raise CsrfRefused("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.")
    elif why := cross_site(request):
        raise CsrfRefused(
            f"Cross-site request refused ({why}): another site's page may not write here; "
            "scripts and curl send no Origin header and are not refused."
        )
    return True


def cross_site(request: HttpRequest) -> str | None:
    """What marks a request as sent by another site's page, or None.

    A browser sends no cookies with another site's form POST (SameSite=Lax), so that POST gets
    past the CSRF check, and its answer's new session cookie would replace the visitor's own (a
    teacher's class lost). Browsers say where a request comes from (Origin, Sec-Fetch-Site);
    scripts and curl send neither.
    """
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return "Sec-Fetch-Site: cross-site"
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    if origin == f"{request.scheme}://{request.get_host()}" or origin in settings.CSRF_TRUSTED_ORIGINS:
        return None
    return f"Origin: {origin[:100]}"


def _csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """Django's own CSRF check, as its middleware runs it before a view: a 403 response, or None."""

    def not_called(request: HttpRequest) -> HttpResponse:
        raise AssertionError("process_view only checks")

    return CsrfViewMiddleware(not_called).process_view(request, not_called, (), {})


api = NinjaAPI(
    title="Async playground API",
    version="1",
    description=f"Start runs of up to {settings.MAX_REQUESTS:,} requests and read their events. "
    f"Bodies larger than {MAX_BODY_BYTES:,} bytes are refused with 413.",
    docs_url=None,  # ninja's docs page loads its assets from a CDN; the page must work offline
    parser=BodyParser(),
    urls_namespace="api",
)


def refused(request, status: int, message: str):
    if status == 400:
        return api.create_response(request, {"errors": {"__all__": [message]}}, status=400)
    return api.create_response(request, {"error": message}, status=status)


@api.exception_handler(ValidationError)
def _invalid_spec(request, exc: ValidationError):
    if all(tuple(e["loc"])[:1] == ("query",) for e in exc.errors):
        return api.create_response(request, {"errors": query_errors(exc.errors)}, status=400)
    errors = error_messages(exc.errors, skip=2)  # loc: ("body", "spec", field, ...)
    return api.create_response(request, {"errors": errors}, status=400)


def query_errors(errors) -> dict[str, list[str]]:
    """A query parameter's errors, naming what it accepts: {"format": ["must be one of ..."]}."""
    out: dict[str, list[str]] = {}
    for e in errors:
        expected = e.get("ctx", {}).get("expected")
        text = f"must be one of {expected}" if expected else e["msg"]
        out.setdefault(str(e["loc"][-1]), []).append(text)
    return out


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    cause = exc.__cause__  # ninja wraps the parser's exception in a 400 "Cannot parse request body"
    if isinstance(cause, BodyRefused):
        return refused(request, cause.status, str(cause))
    return refused(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)  # past DATA_UPLOAD_MAX_MEMORY_SIZE: Django will not read it
def _too_big(request, exc):
    return refused(request, 413, f"Body too large: at most {MAX_BODY_BYTES:,} bytes.")


@api.exception_handler(CsrfRefused)
def _csrf(request, exc):
    return refused(request, 403, str(exc))


# --- The operations -------------------------------------------------------------------


def owner_of(request) -> str:
    """Browsers are told apart by their session; cookie-less clients by address."""
    if request.COOKIES:
        return visitor(request)
    return "ip:" + request.META.get("REMOTE_ADDR", "?")


def described(**descriptions: str) -> dict:
    """openapi_extra saying what each answer means (ninja keys responses by int status)."""
    return {"responses": {int(status.lstrip("_")): {"description": text} for status, text in descriptions.items()}}


# An id that is not a UUID matches no route: Django answers with its own HTML 404 page.
NOT_FOUND = {
    "description": "No run with this id; an id that is not a UUID gets the site's HTML 404 page",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


@api.post(
    "/runs",
    auth=cookie_csrf,
    response={201: Created, 400: FieldErrors, 403: ApiError, 409: ApiError, 413: ApiError, 429: ApiError},
    summary="Start a run",
    openapi_extra={
        "requestBody": {"required": True},
        **described(
            _201="The run was started: its id, page and websocket",
            _400="Field errors, each naming what the field accepts; __all__ for the body as a whole",
            _403="The request carries cookies but not the CSRF token, or comes from another site's page",
            _409="You are a learner in a class whose teacher paused runs: Run works again when they resume",
            _413=f"Body larger than {MAX_BODY_BYTES:,} bytes",
            _429="Too many runs in flight, yours or the server's",
        ),
    },
)
async def runs_create(request, spec: RunSpec):
    if paused := await runs_paused_for(owner=owner_of(request)):
        return 409, {"error": paused}
    try:
        run = await lifecycle.run_launch(spec=spec.stored(), owner=owner_of(request))
    except RunRefused as exc:
        return 429, {"error": str(exc)}
    return 201, lifecycle.run_urls(run)


@api.get(
    "/runs/mine",
    response={200: RecentRuns},
    summary="Your recent runs, newest first",
    description=f"The {RECENT_RUNS} newest runs of the caller's browser session, for comparing them on one "
    "time axis at /compare/?runs=<id>,<id>. A client without a session cookie gets none: an address is shared "
    "by a whole school behind one router, so it names no one.",
    openapi_extra=described(_200="The session's runs, newest first; nobody else's (none without a session)"),
)
async def runs_mine(request):
    if not request.COOKIES:
        return 200, {"runs": []}
    return 200, {"runs": await runs_recent(owner=visitor(request))}


@api.get(
    "/runs/{uuid:run_id}",
    response={200: RunOut, 404: ApiError},
    summary="A run: spec, status, summary and every event",
    openapi_extra={"responses": {200: {"description": "The run"}, 404: NOT_FOUND}},
)
async def runs_detail(request, run_id: uuid.UUID):
    run = await Run.objects.filter(id=run_id).afirst()
    if run is None:
        return 404, {"error": f"No run with id {run_id}."}
    events = await sync_to_async(events_after)(run_id=run.id, after=-1)
    return 200, {
        **lifecycle.run_urls(run),
        "spec": run.spec,
        "status": run.status,
        "summary": run.summary,
        "events": events,
    }


EXPORT_FORMATS = ", ".join(export.FORMATS)
FORMAT_PARAM = Query("json", alias="format", description=f"one of {EXPORT_FORMATS}")


@api.get(
    "/runs/{uuid:run_id}/export",
    response={400: FieldErrors, 404: ApiError},
    summary="Download a run: its events as JSON, one CSV row per attempt, or a Chrome trace",
    openapi_extra={
        "responses": {
            200: {
                "description": "An attachment: json is {id, spec, status, summary, events}; csv is one row per "
                "attempt (request, attempt, waiting_reason, each phase's start and end in ms, status, http_status, "
                "error); trace is the Trace Event Format ({traceEvents}) that Perfetto and chrome://tracing open",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            **described(_400=f"format is not one of {EXPORT_FORMATS}: the field and what it accepts")["responses"],
            404: NOT_FOUND,
        }
    },
)
async def runs_export(
    request,
    run_id: uuid.UUID,
    fmt: export.Format = FORMAT_PARAM,
):
    run = await Run.objects.filter(id=run_id).afirst()
    if run is None:
        return 404, {"error": f"No run with id {run_id}."}
    fields = {"id": run.id, "spec": run.spec, "status": run.status, "summary": run.summary}
    # Off the event loop: 10,000 requests are ~30,000 events to read and write out.
    body = await sync_to_async(_export_body)(fields, fmt)
    response = HttpResponse(body, content_type=export.MEDIA_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export.filename(fields, fmt)}"'
    return response


def _export_body(fields: dict, fmt: str) -> str:
    events = events_after(run_id=fields["id"], after=-1)
    if fmt == "csv":
        return export.as_csv(events)
    return json.dumps(export.as_trace(fields, events) if fmt == "trace" else export.as_json(fields, events))


@api.post(
    "/runs/{uuid:run_id}/cancel",
    auth=cookie_csrf,
    response={202: Cancelling, 403: ApiError, 404: ApiError, 409: ApiError},
    summary="Cancel a run in flight",
    openapi_extra={
        "responses": {
            **described(
                _202="Cancelling: the run ends with status cancelled",
                _403="Not the learner who started the run (a shared link is read-only), or no CSRF token",
                _409="The run is not running",
            )["responses"],
            404: NOT_FOUND,
        }
    },
)
async def runs_cancel(request, run_id: uuid.UUID):
    run = await Run.objects.filter(id=run_id).afirst()
    if run is None:
        return 404, {"error": f"No run with id {run_id}."}
    if run.owner != owner_of(request):
        return 403, {"error": "Only the learner who started a run can cancel it; a shared link is read-only."}
    if not await lifecycle.run_cancel(run=run):
        return 409, {"error": f"Run {run_id} is not running (status: {run.status})."}
    return 202, {"id": str(run.id), "status": "cancelling"}
