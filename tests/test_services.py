"""Admission caps, and runs a stopped server left unfinished."""

import pytest

from playground.runs import admission, services
from playground.runs.models import Event, Run


@pytest.fixture(autouse=True)
def _clean_admissions():
    admission.ADMITTED.clear()
    yield
    admission.ADMITTED.clear()


def test_per_visitor_cap_refuses_with_the_limit_named(settings):
    settings.MAX_RUNS_PER_VISITOR, settings.MAX_RUNS_IN_FLIGHT = 2, 100
    settings.MAX_REQUESTS_IN_FLIGHT = 100
    admission.run_admit(owner="ann")
    admission.run_admit(owner="ann")
    with pytest.raises(admission.RunRefused, match="You already have 2 runs going \\(at most 2\\)"):
        admission.run_admit(owner="ann")
    admission.run_admit(owner="bob")  # others are not affected
    admission.run_release(owner="ann")
    admission.run_admit(owner="ann")


def test_server_cap_refuses_everyone(settings):
    settings.MAX_RUNS_PER_VISITOR, settings.MAX_RUNS_IN_FLIGHT = 5, 3
    settings.MAX_REQUESTS_IN_FLIGHT = 100
    for who in ("a", "b", "c"):
        admission.run_admit(owner=who)
    with pytest.raises(admission.RunRefused, match="maximum of 3 runs"):
        admission.run_admit(owner="d")
    assert sum(len(v) for v in admission.ADMITTED.values()) == 3


def test_request_budget_refuses_a_run_that_would_overflow_it(settings):
    settings.MAX_RUNS_PER_VISITOR, settings.MAX_RUNS_IN_FLIGHT, settings.MAX_REQUESTS_IN_FLIGHT = 5, 10, 1000
    admission.run_admit(owner="a", requests=900)
    with pytest.raises(admission.RunRefused, match="busy with 900 requests .* at most 1,000 .* adds 200"):
        admission.run_admit(owner="b", requests=200)
    admission.run_admit(owner="b", requests=100)
    admission.run_release(owner="a", requests=900)
    admission.run_release(owner="b", requests=100)
    admission.run_admit(owner="b", requests=5000)  # alone, a big run is always admitted


@pytest.mark.django_db
def test_unfinished_runs_become_interrupted_keeping_their_events():
    run = Run.objects.create(spec={"strategy": "gather", "requests": 2}, status=Run.Status.RUNNING)
    for seq, data in enumerate([{"type": "run.started", "t": 0.0}, {"type": "task.started", "t": 0.1}]):
        Event.objects.create(run=run, seq=seq, data={**data, "seq": seq})
    done = Run.objects.create(spec={"strategy": "gather"}, status=Run.Status.FINISHED)
    assert services.runs_interrupt_unfinished() == 1
    run.refresh_from_db()
    done.refresh_from_db()
    assert run.status == "interrupted" and done.status == "finished"
    evts = services.events_after(run_id=run.id, after=-1)
    assert [e["seq"] for e in evts] == [0, 1, 2]
    assert evts[-1]["type"] == "run.finished" and evts[-1]["status"] == "interrupted"
    assert evts[-1]["t"] == 0.1
