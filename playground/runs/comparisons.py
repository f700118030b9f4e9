"""Comparisons: 2 to 4 runs on one time axis (/compare/?runs=<id>,<id>), and the pairs that
start their 2 to 4 runs with one seed.

    ?runs=a,b[,c,d] ──comparison_ids()──> [UUID, ...]   CompareRefused(400): not 2 to 4, malformed, twice
                    ──comparison_runs()─> [Run, ...]    in the order given; CompareRefused(404): unknown
    pair=<name>     ──pair_launch()─────> its runs, queued in one transaction (all or none: RunRefused)
    owner           ──runs_recent()─────> the owner's newest runs, for "Compare with..."
"""

import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction

from playground.runs import lifecycle
from playground.runs.models import Run
from playground.runs.presets import PAIRS, pair_specs
from playground.runs.spec import spec_from_json
from playground.runs.worker import inline_worker

MIN_RUNS = 2  # one run is its own page
MAX_RUNS = 4  # four lanes still fit one projected screen, each tall enough to read
RECENT_RUNS = 12  # "Compare with..." lists this many: a lesson's worth of runs, not a history
SHOWN_ID_CHARS = 40  # a bad id is quoted in the error this far: enough to spot a typo


class CompareRefused(Exception):
    """Bad `runs` or `pair`: the HTTP status (400 or 404) and a message naming the field and its range."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def comparison_ids(values: list[str]) -> list[uuid.UUID]:
    """The run ids of `runs` (comma-separated, or the parameter repeated, as a plain form sends it)."""
    parts = [part.strip() for value in values for part in value.split(",") if part.strip()]
    wanted = f"give {MIN_RUNS} to {MAX_RUNS} run ids separated by commas"
    if not MIN_RUNS <= len(parts) <= MAX_RUNS:
        raise CompareRefused(400, f"runs: {wanted}; got {len(parts)}.")
    ids = []
    for part in parts:
        try:
            ids.append(uuid.UUID(part))
        except ValueError:
            shown = part[:SHOWN_ID_CHARS] + ("…" if len(part) > SHOWN_ID_CHARS else "")
            raise CompareRefused(400, f"runs: {shown!r} is not a run id; {wanted}.") from None
    for i, run_id in enumerate(ids):
        if run_id in ids[:i]:
            raise CompareRefused(400, f"runs: run {run_id} is listed twice; {wanted}, each once.")
    return ids


async def comparison_runs(ids: list[uuid.UUID]) -> list[Run]:
    """The runs of `ids`, in that order; CompareRefused(404) naming the first that does not exist."""
    found = {run.id: run async for run in Run.objects.filter(id__in=ids)}
    for run_id in ids:
        if run_id not in found:
            days = settings.RUNS_KEEP_DAYS
            raise CompareRefused(404, f"runs: no run with id {run_id} (runs are kept {days} days).")
    return [found[run_id] for run_id in ids]


def pair_enqueue(*, name: str, owner: str) -> list[Run]:
    """Queue every run of the pair `name`, all or none (RunRefused when the owner's cap is reached)."""
    specs = pair_specs(name)
    if specs is None:
        names = ", ".join(pair["name"] for pair in PAIRS)
        raise CompareRefused(400, f"pair: {name[:SHOWN_ID_CHARS]!r} is not a pair; choose one of: {names}.")
    with transaction.atomic():  # each run_enqueue is a savepoint inside it: both, or neither
        return [lifecycle.run_enqueue(spec=spec_from_json(spec), owner=owner) for spec in specs]


async def pair_launch(*, name: str, owner: str) -> list[Run]:
    """Queue the pair's runs (pair_enqueue); a worker starts them when it has room."""
    runs = await sync_to_async(pair_enqueue)(name=name, owner=owner)
    if settings.RUNS_IN_WEB_PROCESS:
        inline_worker().wake()
    return runs


def comparison_url(runs: list[Run]) -> str:
    return "/compare/?runs=" + ",".join(str(run.id) for run in runs)


def run_brief(run: Run) -> dict:
    """What a list of runs shows of each: strategy, requests, wall time, status."""
    summary = run.summary or {}
    return {
        **lifecycle.run_urls(run),
        "strategy": run.spec.get("strategy"),
        "requests": run.spec.get("requests"),
        "wall_s": summary.get("wall_s"),
        "status": run.status,
        "created": run.created.isoformat(),
    }


async def runs_recent(*, owner: str, limit: int = RECENT_RUNS) -> list[dict]:
    """The owner's newest runs first (an empty owner owns nothing)."""
    if not owner:
        return []
    return [run_brief(run) async for run in Run.objects.filter(owner=owner).order_by("-created")[:limit]]
