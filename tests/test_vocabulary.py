"""The words the server and the page share: defined once (playground/events.py), handed
to the page in its boot data, and known to every part of the page that shows them."""

import json
import re

import aiohttp

from playground import events
from playground.runs.models import Run
from tests.support.servers import ROOT

FIXTURE = ROOT / "tests/js/vocabulary.json"  # what the Node tests feed the page's modules
REGENERATE = (
    '.venv/bin/python -c "import json; from playground.events import vocabulary; '
    'print(json.dumps(vocabulary(), indent=2))" > tests/js/vocabulary.json'
)


def test_the_node_tests_read_the_servers_vocabulary():
    """tests/js/*.mjs check the page's looks and words against this file: it must be the server's."""
    assert json.loads(FIXTURE.read_text()) == events.vocabulary(), f"stale fixture; rewrite it: {REGENERATE}"


async def test_the_page_gets_the_vocabulary_in_its_boot_data(server):
    async with aiohttp.ClientSession() as http, http.get(server.base + "/") as r:
        assert r.status == 200
        page = await r.text()
    boot = json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert boot["vocabulary"] == events.vocabulary()
    gather = next(s for s in boot["strategies"] if s["name"] == "gather")
    assert ["k", "async"] in gather["code"]["tokens"]  # highlighted on the server


def test_the_summary_has_a_count_for_every_task_status():
    template = (ROOT / "templates/playground/index.html").read_text()
    missing = [s for s in events.TASK_STATUSES if f'data-summary="count-{s}"' not in template]
    assert not missing, f"templates/playground/index.html has no count slot for {missing}"


def test_a_run_ends_in_one_of_the_end_statuses_and_nothing_else():
    assert set(Run.Status.values) - {Run.Status.QUEUED, Run.Status.RUNNING} == set(events.RUN_END_STATUSES)
