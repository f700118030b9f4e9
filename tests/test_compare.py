"""Comparisons: the page (/compare/?runs=...), its refusals, the pairs and "Compare with..."'s
list of the learner's own runs, through the real Daphne; the pairs' all-or-none start in-process.
"""

import asyncio
import json
import re
import uuid

import aiohttp
import pytest

from playground.runs.admission import RunRefused
from playground.runs.comparisons import MAX_RUNS, MIN_RUNS, pair_enqueue
from playground.runs.models import Run
from playground.runs.presets import PAIRS, PRESETS, pair_specs
from playground.runs.spec import spec_from_json
from tests.support.wsclient import collect_run, start_run

SMALL = {"latencies_ms": [20, 40, 20], "seed": 3}
NOWHERE = "00000000-0000-0000-0000-000000000000"


def browser_session() -> aiohttp.ClientSession:
    """A client that keeps cookies from 127.0.0.1, as a browser does: one learner."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def csrf_headers(http, server) -> dict:
    async with http.get(server.base + "/") as r:
        assert r.status == 200
    token = next(c.value for c in http.cookie_jar if c.key == "csrftoken")
    return {"X-CSRFToken": token, "Referer": server.base + "/"}


def boot_of(page: str) -> dict:
    return json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>', page, re.S).group(1))


@pytest.fixture(scope="module")
def two_runs(server) -> list[str]:
    """A finished sequential and gather run over the same three latencies."""

    async def make():
        ids = [await start_run(server, {"strategy": name, **SMALL}) for name in ("sequential", "gather")]
        for run_id in ids:
            await collect_run(server, run_id)
        return ids

    with asyncio.Runner() as runner:
        return runner.run(make())


def test_each_pair_starts_two_to_four_presets_with_one_seed():
    presets = {preset["name"]: preset for preset in PRESETS}
    labels = [
        "Sequential vs gather",
        "Batches vs a semaphore",
        "gather vs a rate limiter",
        "Threads vs tasks at 1,000 requests",
    ]
    assert [pair["label"] for pair in PAIRS] == labels
    for pair in PAIRS:
        specs = pair_specs(pair["name"])
        assert MIN_RUNS <= len(specs) <= MAX_RUNS and all(name in presets for name in pair["presets"]), pair
        assert {spec["seed"] for spec in specs} == {pair["seed"]}, "every run of the pair, the same seed"
        stored = [spec_from_json(spec) for spec in specs]  # valid run specs (SpecError otherwise)
        assert len({s["strategy"] for s in stored}) == len(stored)
        workload = ("requests", "latency_ms", "jitter_ms", "failure_rate", "seed", "latencies_ms", "server_rate")
        first = {k: stored[0].get(k) for k in workload}
        assert all({k: s.get(k) for k in workload} == first for s in stored), "one workload"
        assert pair["text"].endswith(".")
    # Threads vs tasks: each run alone in a process, so that what it cost is measured.
    assert all(spec["own_process"] for spec in map(spec_from_json, pair_specs("threads-vs-tasks")))
    assert pair_specs("no-such-pair") is None


@pytest.mark.django_db(transaction=True)
def test_a_pair_starts_both_runs_or_neither(settings):
    settings.MAX_RUNS_PER_VISITOR = 3
    Run.objects.create(spec={"strategy": "gather"}, owner="learner", status=Run.Status.RUNNING)
    Run.objects.create(spec={"strategy": "gather"}, owner="learner", status=Run.Status.RUNNING)
    with pytest.raises(RunRefused, match="at most 3"):
        pair_enqueue(name="sequential-vs-gather", owner="learner")  # room for one run, not two
    assert Run.objects.filter(owner="learner").count() == 2, "the first run of the pair was not kept"
    runs = pair_enqueue(name="sequential-vs-gather", owner="another")
    assert [run.spec["strategy"] for run in runs] == ["sequential", "gather"]
    assert [run.spec["seed"] for run in runs] == [7, 7]
    assert all(run.status == Run.Status.QUEUED and run.job for run in runs)


@pytest.mark.django_db(transaction=True)
def test_a_group_of_three_starts_all_its_runs_or_none(settings):
    settings.MAX_RUNS_PER_VISITOR = 3
    Run.objects.create(spec={"strategy": "gather"}, owner="learner", status=Run.Status.RUNNING)
    with pytest.raises(RunRefused, match="at most 3"):
        pair_enqueue(name="threads-vs-tasks", owner="learner")  # room for two runs, not three
    assert Run.objects.filter(owner="learner").count() == 1
    runs = pair_enqueue(name="threads-vs-tasks", owner="another")
    assert [run.spec["strategy"] for run in runs] == ["threads", "semaphore", "gather"]
    assert [(run.spec["seed"], run.spec["requests"], run.spec["own_process"]) for run in runs] == [(7, 1000, True)] * 3


async def test_a_comparison_page_shows_its_runs_in_order(server, two_runs):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base}/compare/?runs={two_runs[1]},{two_runs[0]}") as r:
            assert r.status == 200
            page = await r.text()
    assert '<h2 id="compare-title" class="compare-title">Compare runs' in page and "<h1" in page
    boot = boot_of(page)
    assert [run["id"] for run in boot["runs"]] == [two_runs[1], two_runs[0]]
    assert [run["spec"]["strategy"] for run in boot["runs"]] == ["gather", "sequential"]
    assert [run["status"] for run in boot["runs"]] == ["finished", "finished"]
    assert [run["ws"] for run in boot["runs"]] == [f"/ws/runs/{two_runs[1]}/", f"/ws/runs/{two_runs[0]}/"]
    assert "task_statuses" in boot["vocabulary"]
    assert page.count('class="panel lane"') == 2


async def test_a_plain_form_repeating_runs_is_sent_to_the_one_address(server, two_runs):
    async with aiohttp.ClientSession() as http:
        url = f"{server.base}/compare/?runs={two_runs[0]}&runs={two_runs[1]}"
        async with http.get(url, allow_redirects=False) as r:
            assert r.status == 302
            assert r.headers["Location"] == f"/compare/?runs={two_runs[0]},{two_runs[1]}"


BAD_RUNS = [
    ("", 400, "runs: give 2 to 4 run ids separated by commas; got 0."),
    ("?runs=", 400, "runs: give 2 to 4 run ids separated by commas; got 0."),
    ("?runs={a}", 400, "runs: give 2 to 4 run ids separated by commas; got 1."),
    ("?runs={a},{b},{a},{b},{a}", 400, "runs: give 2 to 4 run ids separated by commas; got 5."),
    ("?runs={a},not-a-run", 400, "runs: 'not-a-run' is not a run id; give 2 to 4 run ids separated by commas."),
    ("?runs={a},{a}", 400, "runs: run {a} is listed twice; give 2 to 4 run ids separated by commas, each once."),
    ("?runs={a}," + "x" * 5000, 400, "runs: '" + "x" * 40 + "…' is not a run id"),
    ("?runs={a}," + NOWHERE, 404, f"runs: no run with id {NOWHERE} (runs are kept 30 days)."),
]


@pytest.mark.parametrize("query,status,text", BAD_RUNS)
async def test_bad_runs_get_an_error_page_naming_the_field_and_its_range(server, two_runs, query, status, text):
    a, b = two_runs
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/compare/" + query.format(a=a, b=b)) as r:
            assert r.status == status
            assert r.content_type == "text/html"
            page = await r.text()
    message = re.search(r'<p id="compare-error" role="alert">(.*?)</p>', page, re.S).group(1)
    assert text.format(a=a).replace("'", "&#x27;") in message
    assert "<h1" in page and 'name="pair"' in page, "the page still offers a way on: the pairs"


async def test_a_pair_starts_its_runs_with_one_seed_and_opens_their_comparison(server):
    async with browser_session() as http:
        headers = await csrf_headers(http, server)
        token = headers["X-CSRFToken"]
        form = {"csrfmiddlewaretoken": token, "pair": "sequential-vs-gather"}
        async with http.post(server.base + "/compare/", data=form, headers=headers, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            location = r.headers["Location"]
        ids = re.fullmatch(r"/compare/\?runs=([0-9a-f-]{36}),([0-9a-f-]{36})", location).groups()
        runs = []
        for run_id in ids:
            await collect_run(server, run_id)
            async with http.get(f"{server.base}/api/runs/{run_id}") as r:
                runs.append(await r.json())
        async with http.get(server.base + "/api/runs/mine") as r:
            mine = [run["id"] for run in (await r.json())["runs"]]
        form["pair"] = "warp-drive"
        async with http.post(server.base + "/compare/", data=form, headers=headers) as r:
            assert r.status == 400
            assert "pair: &#x27;warp-drive&#x27; is not a pair; choose one of: sequential-vs-gather" in await r.text()
    assert [run["spec"]["strategy"] for run in runs] == ["sequential", "gather"]
    assert [run["spec"]["seed"] for run in runs] == [7, 7]
    assert runs[0]["spec"]["latencies_ms"] == runs[1]["spec"]["latencies_ms"] == [300, 500, 200]
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert set(ids) <= set(mine), "the pair's runs are the learner's own"


async def test_recent_runs_are_the_learners_own_newest_first(server):
    async with browser_session() as ann, browser_session() as bob:
        ann_headers, bob_headers = await csrf_headers(ann, server), await csrf_headers(bob, server)
        spec = {"strategy": "gather", "requests": 2, "latency_ms": 1}
        started = {"ann": [], "bob": []}
        for who, http, headers in [("ann", ann, ann_headers), ("bob", bob, bob_headers), ("ann", ann, ann_headers)]:
            async with http.post(server.base + "/api/runs", json=spec, headers=headers) as r:
                assert r.status == 201
                started[who].append((await r.json())["id"])
        for run_id in started["ann"] + started["bob"]:
            await collect_run(server, run_id)
        async with ann.get(server.base + "/api/runs/mine") as r:
            assert r.status == 200
            ann_runs = (await r.json())["runs"]
        async with bob.get(server.base + "/api/runs/mine") as r:
            bob_runs = (await r.json())["runs"]
    assert [run["id"] for run in ann_runs] == started["ann"][::-1], "only Ann's, newest first"
    assert [run["id"] for run in bob_runs] == started["bob"]
    first = ann_runs[0]
    assert first["url"] == f"/runs/{first['id']}/" and first["strategy"] == "gather" and first["requests"] == 2
    assert first["status"] == "finished" and first["wall_s"] > 0
    uuid.UUID(first["id"])


async def test_clients_without_a_session_see_no_runs_not_their_neighbours(server):
    # Two curl users behind one school router share an address: neither sees the other's runs.
    started = [await start_run(server, {"strategy": "gather", "requests": 2, "latency_ms": 1}) for _ in range(2)]
    async with aiohttp.ClientSession() as curl:
        async with curl.get(server.base + "/api/runs/mine") as r:
            assert r.status == 200
            assert (await r.json())["runs"] == []
    for run_id in started:
        await collect_run(server, run_id)


async def test_the_openapi_document_describes_recent_runs(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/api/openapi.json") as r:
            doc = await r.json()
    operation = doc["paths"]["/api/runs/mine"]["get"]
    assert operation["summary"] == "Your recent runs, newest first"
    brief = doc["components"]["schemas"]["RunBrief"]["properties"]
    assert {"id", "url", "strategy", "requests", "wall_s", "status"} <= set(brief)
