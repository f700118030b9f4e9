"""Pages: POST /class/ starts a class (the "Start a class" button); /class/<code>/ shows, by who asks,
the teacher's page (code, QR code, live roster), the join form, or the playground under a class
banner. A refusal is a page saying why (404 no class, 410 ended, 403 removed, 400/409/429 joining).
"""

import segno
from asgiref.sync import sync_to_async
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from playground import events
from playground.classes import services
from playground.classes.names import MAX_NAME, NAME_RULE, name_suggested
from playground.classes.services import ClassRefused
from playground.runs.boot import page_boot
from playground.runs.forms import RunSpecForm
from playground.runs.presets import PRESETS
from playground.runs.views import visitor

QR_SCALE = 6  # px a module: about 220 px across for a join URL, readable from the back of a room on a projector


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG, drawn here (segno): nothing fetched, no script."""
    svg = segno.make(url, error="m").svg_inline(
        scale=QR_SCALE, dark="#1d2430", light="#ffffff", title=f"QR code of {url}", omitsize=True
    )
    return mark_safe(svg)  # segno's own markup; the URL in its title is escaped by segno


async def class_start(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        classroom = await services.class_create(
            teacher=visitor(request), address=request.META.get("REMOTE_ADDR") or "?"
        )
    except ClassRefused as exc:
        return _gone(request, exc.status, str(exc), retry_after=exc.retry_after)
    return redirect(services.class_urls(classroom)["join_url"])


async def class_page(request, code: str):
    joining = request.method == "POST"
    try:
        classroom = await services.class_find(code=code, address=request.META.get("REMOTE_ADDR") or "?")
    except ClassRefused as exc:
        status = 404 if exc.status == 400 else exc.status  # a page for a code that is none: no such class
        return _gone(request, status, str(exc), retry_after=exc.retry_after)
    role = await services.class_role(classroom=classroom, visitor=visitor(request))
    if role.kind == "teacher":
        return _teacher_page(request, classroom)
    if role.kind == "removed":
        return _gone(request, 403, "The teacher removed you from this class.")
    if joining:
        return await _join(request, classroom)
    if role.kind == "learner":
        return await _learner_page(request, classroom, role.learner)
    return _join_page(request, classroom, name_suggested())


async def _join(request, classroom):
    name = request.POST.get("name", "")
    try:
        await services.learner_join(classroom=classroom, visitor=visitor(request), name=name)
    except ClassRefused as exc:
        response = _join_page(request, classroom, name, error=str(exc), status=exc.status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    return redirect(services.class_urls(classroom)["join_url"])


def _teacher_page(request, classroom):
    public = services.class_public(classroom)
    join_url = request.build_absolute_uri(public["join_url"])
    # The vocabulary: the gallery's mini timelines (gallery-mini.js) and the stage's (class-stage.js)
    # count by the server's words; the presets fill the stage's run spec (and what a round may predict).
    boot = {**public, "vocabulary": events.vocabulary(), "presets": PRESETS}
    context = {"class": public, "join_url": join_url, "qr": qr_svg(join_url), "boot": boot, "presets": PRESETS}
    context["round_presets"] = PRESETS  # what a round may predict (teacher_rounds.html)
    return render(request, "classes/teacher.html", context)


async def class_projector(request, code: str):
    """/class/<code>/projector/: the join code and the stage, large, no names (the teacher's browser only)."""
    try:
        classroom = await services.class_find(code=code, address=request.META.get("REMOTE_ADDR") or "?")
    except ClassRefused as exc:
        return _gone(request, 404 if exc.status == 400 else exc.status, str(exc), retry_after=exc.retry_after)
    role = await services.class_role(classroom=classroom, visitor=visitor(request))
    if role.kind != "teacher":
        return _gone(request, 403, "Only this class's teacher can open its projector view.")
    public = services.class_public(classroom)
    join_url = request.build_absolute_uri(public["join_url"])
    # ?view=projector: the class socket leaves the gallery out (cards this page never shows).
    boot = {"code": public["code"], "ws": public["ws"] + "?view=projector", "vocabulary": events.vocabulary()}
    context = {"class": public, "join_url": join_url, "qr": qr_svg(join_url), "boot": boot}
    return render(request, "classes/projector.html", context)


def _join_page(request, classroom, name: str, *, error: str = "", status: int = 200):
    context = {
        "class": services.class_public(classroom),
        "name": name,
        "error": error,
        "max_name": MAX_NAME,
        "name_rule": NAME_RULE,
    }
    return render(request, "classes/join.html", context, status=status)


async def _learner_page(request, classroom, learner):
    """The playground as on "/", under a banner naming the class and the learner."""
    boot = await sync_to_async(page_boot)(run=None, urls=None, owned=False)
    banner = {"class": services.class_public(classroom), "you": services.learner_public(learner)}
    return render(request, "playground/index.html", {"form": RunSpecForm(), "boot": boot, "class_banner": banner})


def _gone(request, status: int, message: str, *, retry_after: int | None = None):
    response = render(request, "classes/gone.html", {"status": status, "message": message}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
