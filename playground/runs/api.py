"""The JSON API: create a run, read it back, cancel it; and its OpenAPI description.

Requests that carry cookies (a browser) must pass Django's CSRF check; requests
without cookies (curl, scripts) carry no ambient credentials to forge.
"""

import json
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from playground.runs import services
from playground.runs.admission import RunRefused
from playground.runs.forms import SpecTypeError, form_from_json
from playground.runs.models import Run
from playground.runs.openapi import openapi_document
from playground.runs.views import visitor

MAX_BODY_BYTES = 64 * 1024  # a run spec with 10,000 latencies is ~60 KB
MAX_NUMBER_DIGITS = 300  # float() of a longer JSON integer overflows; every field's range needs far fewer


def owner_of(request) -> str:
    """Browsers are told apart by their session; cookie-less clients by address."""
    if request.COOKIES:
        return visitor(request)
    return "ip:" + request.META.get("REMOTE_ADDR", "?")


def error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _csrf_failure(request) -> JsonResponse | None:
    if not request.COOKIES:
        return None
    refused = CsrfViewMiddleware(lambda r: None).process_view(request, lambda r: None, (), {})
    if refused is None:
        return None
    return error(403, "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie's value.")


def _too_large(request) -> bool:
    try:
        return len(request.body) > MAX_BODY_BYTES
    except RequestDataTooBig:  # past DATA_UPLOAD_MAX_MEMORY_SIZE, left alone: an HTML 400 and a traceback
        return True


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise SpecTypeError(
            {"__all__": [f"A number in the body has {digits:,} digits; no field takes more than {MAX_NUMBER_DIGITS}."]}
        )
    return int(text)


@csrf_exempt
@require_http_methods(["POST"])
async def runs_create(request):
    if _too_large(request):
        return error(413, f"Body too large: at most {MAX_BODY_BYTES:,} bytes.")
    if (refused := _csrf_failure(request)) is not None:
        return refused
    try:
        payload = json.loads(request.body, parse_int=_json_int)
        form = form_from_json(payload)
    except RecursionError:  # json decodes nested arrays and objects by recursion
        return JsonResponse(
            {"errors": {"__all__": ["Body is nested too deeply: a run spec is one flat JSON object."]}}, status=400
        )
    except ValueError as exc:
        errors = exc.errors if isinstance(exc, SpecTypeError) else {"__all__": [f"Body is not valid JSON: {exc}"]}
        return JsonResponse({"errors": errors}, status=400)
    if not form.is_valid():
        errors = {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
        return JsonResponse({"errors": errors}, status=400)
    try:
        run, _ = await services.run_launch(spec=form.spec(), owner=owner_of(request))
    except RunRefused as exc:
        return error(429, str(exc))
    return JsonResponse(services.run_urls(run), status=201)


@csrf_exempt  # read-only: a PUT or DELETE gets require_GET's 405, not a CSRF 403 page
@require_GET
async def runs_detail(request, run_id: uuid.UUID):
    run = await Run.objects.filter(id=run_id).afirst()
    if run is None:
        return error(404, f"No run with id {run_id}.")
    events = await sync_to_async(services.events_after)(run_id=run.id, after=-1)
    return JsonResponse(
        {**services.run_urls(run), "spec": run.spec, "status": run.status, "summary": run.summary, "events": events}
    )


@csrf_exempt
@require_http_methods(["POST"])
async def runs_cancel(request, run_id: uuid.UUID):
    if (refused := _csrf_failure(request)) is not None:
        return refused
    run = await Run.objects.filter(id=run_id).afirst()
    if run is None:
        return error(404, f"No run with id {run_id}.")
    if run.owner != owner_of(request):
        return error(403, "Only the learner who started a run can cancel it; a shared link is read-only.")
    if not await services.run_cancel(run=run):
        return error(409, f"Run {run_id} is not running (status: {run.status}).")
    return JsonResponse({"id": str(run.id), "status": "cancelling"}, status=202)


@csrf_exempt  # read-only, as above
@require_GET
def openapi(request):
    return JsonResponse(openapi_document(max_body=MAX_BODY_BYTES, max_requests=settings.MAX_REQUESTS))
