"""Pages: the form (`/`) and a run's timeline (`/runs/<id>/`), one template; 2 to 4 runs on one axis (`/compare/`)."""

import uuid

from asgiref.sync import sync_to_async
from django.http import Http404
from django.shortcuts import redirect, render

from playground.classes.gallery import runs_paused_for
from playground.classes.services import class_banner_for
from playground.runs import comparisons, lifecycle
from playground.runs.admission import RunRefused
from playground.runs.boot import compare_boot, page_boot
from playground.runs.comparisons import CompareRefused
from playground.runs.forms import RunSpecForm
from playground.runs.models import Run


def visitor(request) -> str:
    """A random id kept in the (signed-cookie) session: who owns a run."""
    return request.session.setdefault("visitor", uuid.uuid4().hex)


async def index(request):
    if request.method == "POST":  # the form without JavaScript
        form = RunSpecForm(request.POST)
        if form.is_valid() and (paused := await runs_paused_for(owner=visitor(request))):
            form.add_error(None, paused)
            return await _page(request, form, status=409)
        if form.is_valid():
            try:
                run = await lifecycle.run_launch(spec=form.spec(), owner=visitor(request))
            except RunRefused as exc:
                form.add_error(None, str(exc))
                return await _page(request, form, status=429)
            return redirect(f"/runs/{run.id}/")
        return await _page(request, form, status=400)
    visitor(request)
    return await _page(request, RunSpecForm())


async def run_page(request, run_id: uuid.UUID):
    run = await Run.objects.filter(id=run_id).afirst()
    if run is None:
        raise Http404("No run with this id.")
    visitor(request)
    form = RunSpecForm(initial=run.spec)
    return await _page(request, form, run=run)


async def _page(request, form, *, run=None, status=200):
    """The playground; a learner in a live class sees it under the class's banner (its stage, its
    round, the pause), on "/" and on a run's page alike: a reload does not leave the class."""
    owned = run is not None and run.owner == visitor(request)
    boot = await sync_to_async(page_boot)(run=run, urls=run and lifecycle.run_urls(run), owned=owned)
    context = {"form": form, "boot": boot, "run": run, "class_banner": await class_banner_for(visitor=visitor(request))}
    return render(request, "playground/index.html", context, status=status)


async def compare(request):
    """GET ?runs=<id>,<id>[,...]: the runs on one axis. POST pair=<name>: start the pair, then show it."""
    try:
        if request.method == "POST":
            if paused := await runs_paused_for(owner=visitor(request)):  # a pair is runs like any other
                return _compare_refused(request, 409, paused)
            runs = await comparisons.pair_launch(name=request.POST.get("pair", ""), owner=visitor(request))
            return redirect(comparisons.comparison_url(runs))
        given = request.GET.getlist("runs")
        runs = await comparisons.comparison_runs(comparisons.comparison_ids(given))
    except CompareRefused as exc:
        return _compare_refused(request, exc.status, str(exc))
    except RunRefused as exc:
        return _compare_refused(request, 429, str(exc))
    if len(given) > 1:  # a plain form repeats the parameter: one address per comparison
        return redirect(comparisons.comparison_url(runs))
    boot = compare_boot(runs=runs, urls=[lifecycle.run_urls(run) for run in runs])
    return render(request, "playground/compare.html", {"boot": boot, "runs": zip(runs, boot["runs"], strict=True)})


def _compare_refused(request, status: int, message: str):
    boot = compare_boot(runs=[], urls=[])
    return render(request, "playground/compare.html", {"boot": boot, "error": message}, status=status)
