"""The data a page starts from (rendered with json_script as #boot)."""

from django.conf import settings

from playground import events
from playground.demoapi.process import demo_api_url
from playground.runs.comparisons import MAX_RUNS
from playground.runs.forms import INITIAL_STRATEGY
from playground.runs.presets import PAIRS, PRESETS
from playground.runs.spec import field_table
from playground.strategies import STRATEGIES


def field_limits() -> dict:
    """Label, kind, range, help and initial value of every field, as RunSpec declares them (the form shows them)."""
    table = field_table()
    for info in table.values():
        info["initial"] = info.pop("default")
    table["strategy"]["initial"] = INITIAL_STRATEGY
    return table


def page_boot(*, run=None, urls=None, owned: bool = False) -> dict:
    """`owned`: this visitor started the run (may cancel it); others get a read-only replay."""
    return {
        "run": None if run is None else {**urls, "status": run.status, "spec": run.spec, "owned": owned},
        "api": {"runs": "/api/runs", "mine": "/api/runs/mine"},
        "compare": {"url": "/compare/", "max_runs": MAX_RUNS},
        "demo_api_url": demo_api_url(),
        "vocabulary": events.vocabulary(),  # statuses, wait reasons, end states: the JS keeps no copy
        "strategies": [s.describe() for s in STRATEGIES.values()],
        "params": field_limits(),
        "presets": PRESETS,
        "pairs": PAIRS,
        "connection_limit": settings.CLIENT_CONNECTION_LIMIT,
        "limits": {
            "max_requests": f"{settings.MAX_REQUESTS:,}",
            "max_run_s": settings.MAX_RUN_SECONDS,
            "runs_per_learner": settings.MAX_RUNS_PER_VISITOR,
            "runs_queued": f"{settings.MAX_RUNS_QUEUED:,}",
        },
    }


def compare_boot(*, runs, urls) -> dict:
    """The comparison page: each run (its urls, status and spec) and the shared words (compare.js),
    the pairs (its form, templates/playground/pairs.html)."""
    return {
        "runs": [{**url, "status": run.status, "spec": run.spec} for run, url in zip(runs, urls, strict=True)],
        "vocabulary": events.vocabulary(),
        "pairs": PAIRS,
    }
