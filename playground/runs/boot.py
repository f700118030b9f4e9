"""The data a page starts from (rendered with json_script as #boot)."""

from django.conf import settings

from playground import events
from playground.demoapi.process import demo_api_url
from playground.runs.forms import RunSpecForm
from playground.runs.presets import PRESETS
from playground.strategies import STRATEGIES


def field_limits(form: RunSpecForm) -> dict:
    """Label, range, help and initial value of every field, as RunSpec declares them (the form shows them)."""
    return {
        name: {
            "label": str(field.label),
            "kind": form.table[name]["kind"],  # whole, number, list, bool or choice: how the page reads it
            "min": form.table[name]["min"],
            "max": form.table[name]["max"],
            "help": str(field.help_text),
            "initial": field.initial,
        }
        for name, field in form.fields.items()
    }


def page_boot(*, run=None, urls=None, owned: bool = False) -> dict:
    """`owned`: this visitor started the run (may cancel it); others get a read-only replay."""
    return {
        "run": None if run is None else {**urls, "status": run.status, "spec": run.spec, "owned": owned},
        "api": {"runs": "/api/runs"},
        "demo_api_url": demo_api_url(),
        "vocabulary": events.vocabulary(),  # statuses, wait reasons, end states: the JS keeps no copy
        "strategies": [s.describe() for s in STRATEGIES.values()],
        "params": field_limits(RunSpecForm()),
        "presets": PRESETS,
        "connection_limit": settings.CLIENT_CONNECTION_LIMIT,
        "limits": {
            "max_requests": f"{settings.MAX_REQUESTS:,}",
            "max_run_s": settings.MAX_RUN_SECONDS,
            "runs_per_learner": settings.MAX_RUNS_PER_VISITOR,
            "runs_in_flight": settings.MAX_RUNS_IN_FLIGHT,
            "requests_in_flight": f"{settings.MAX_REQUESTS_IN_FLIGHT:,}",
        },
    }
