"""Pruning old runs: `runs_prune` and `manage.py prune_runs`, on the test database."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground.runs import lifecycle, pruning
from playground.runs.models import Event, Run
from tests.support.deletes import DeletesPerTransaction

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def make_run(*, status: str, age_days: float, events: int = 3) -> Run:
    """A run `age_days` old with `events` stored events."""
    run = Run.objects.create(spec={"strategy": "gather", "requests": events}, status=status)
    Event.objects.bulk_create(Event(run=run, seq=i, data={"type": "task.started", "seq": i}) for i in range(events))
    Run.objects.filter(id=run.id).update(created=timezone.now() - age_days * DAY)
    return run


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_runs", *args, stdout=out)
    return out.getvalue()


def test_old_finished_runs_go_with_their_events_recent_and_active_ones_stay():
    gone = [make_run(status=s, age_days=31, events=2) for s in ("finished", "failed", "cancelled", "interrupted")]
    kept = [
        make_run(status="finished", age_days=29),
        make_run(status="queued", age_days=400),
        make_run(status="running", age_days=400),
    ]

    assert prune("--older-than", "30") == "Deleted 4 runs and 8 events older than 30 days.\n"

    assert not Run.objects.filter(id__in=[r.id for r in gone]).exists()
    assert not Event.objects.filter(run_id__in=[r.id for r in gone]).exists()
    assert set(Run.objects.values_list("id", flat=True)) == {r.id for r in kept}
    assert Event.objects.count() == 3 * len(kept)


def test_the_default_age_is_the_setting(settings):
    settings.RUNS_KEEP_DAYS = 10
    old, recent = make_run(status="finished", age_days=11), make_run(status="finished", age_days=9)

    assert prune() == "Deleted 1 run and 3 events older than 10 days.\n"

    assert list(Run.objects.values_list("id", flat=True)) == [recent.id]
    assert not Run.objects.filter(id=old.id).exists()


def test_dry_run_deletes_nothing_but_reports_the_counts():
    make_run(status="finished", age_days=40, events=5)
    make_run(status="failed", age_days=40, events=1)
    make_run(status="running", age_days=40)

    assert prune("--older-than", "30", "--dry-run") == "Would delete 2 runs and 6 events older than 30 days.\n"

    assert Run.objects.count() == 3 and Event.objects.count() == 9


@pytest.mark.parametrize("days", ["0", "-1", "1.5", "thirty", "36501"])
def test_an_age_out_of_range_is_refused_naming_the_option_and_its_range(days):
    make_run(status="finished", age_days=40)
    with pytest.raises(CommandError, match=r"^--older-than must be a whole number of days from 1 to 36,500, not "):
        prune(f"--older-than={days}")
    assert Run.objects.count() == 1 and Event.objects.count() == 3


def test_a_setting_out_of_range_is_refused_naming_the_setting(settings):
    settings.RUNS_KEEP_DAYS = 0
    make_run(status="finished", age_days=40)
    with pytest.raises(
        CommandError, match=r"^RUNS_KEEP_DAYS \(PLAYGROUND_RUNS_KEEP_DAYS\), the default of --older-than"
    ):
        prune()
    assert Run.objects.count() == 1


def test_the_service_refuses_a_span_that_is_not_positive():
    with pytest.raises(ValueError, match="older_than must be a positive time span"):
        pruning.runs_prune(older_than=datetime.timedelta(0))


def test_more_runs_and_events_than_one_batch_all_go_each_batch_in_a_transaction_of_its_own():
    # The oldest run alone has more events than one event batch; then more runs than one run batch.
    big = make_run(status="finished", age_days=50, events=pruning.EVENTS_AT_ONCE + 1)
    runs = Run.objects.bulk_create(
        Run(spec={"strategy": "gather"}, status="finished") for _ in range(pruning.RUNS_AT_ONCE)
    )
    Event.objects.bulk_create(Event(run=run, seq=0, data={"seq": 0}) for run in runs)
    Run.objects.exclude(id=big.id).update(created=timezone.now() - 40 * DAY)
    recent = make_run(status="finished", age_days=1)

    with DeletesPerTransaction() as seen:
        counts = pruning.runs_prune(older_than=30 * DAY)

    assert counts == (pruning.RUNS_AT_ONCE + 1, pruning.EVENTS_AT_ONCE + 1 + pruning.RUNS_AT_ONCE)
    assert list(Run.objects.values_list("id", flat=True)) == [recent.id]
    assert Event.objects.count() == 3
    assert sum(t["runs_run"] for t in seen.transactions) == counts[0]
    assert sum(t["runs_event"] for t in seen.transactions) == counts[1]
    assert max(t["runs_event"] for t in seen.transactions) == pruning.EVENTS_AT_ONCE
    assert max(t["runs_run"] for t in seen.transactions) == pruning.RUNS_AT_ONCE


def test_a_pruned_runs_job_goes_with_it():
    spec = {"strategy": "gather", "requests": 3, "latency_ms": 1, "jitter_ms": 0, "failure_rate": 0, "seed": 1}
    old, recent = (lifecycle.run_enqueue(spec=spec, owner=who) for who in ("a", "b"))
    Run.objects.update(status="finished")
    Run.objects.filter(id=old.id).update(created=timezone.now() - 31 * DAY)
    assert prune("--older-than", "30") == "Deleted 1 run and 0 events older than 30 days.\n"
    assert list(DBTaskResult.objects.values_list("id", flat=True)) == [recent.job]
