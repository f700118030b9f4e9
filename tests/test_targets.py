"""Custom targets: allowed ones work; nothing outside the allowlist is ever contacted;
dead, hanging or garbage-speaking targets end every request truthfully."""

import asyncio

import pytest
from aiohttp import web

from playground.runs.forms import RunSpecForm
from playground.runs.spec import SpecError, spec_from_json
from playground.runs.targets import Target, target_from_setting
from tests.support.recording import Recording
from tests.support.runs import bars, run_spec


@pytest.fixture
async def allowed(outside):
    async def hang(request):
        await asyncio.sleep(60)

    async def ok(request):
        return web.json_response({"i": request.query.get("i")})

    async def inside(request):
        raise web.HTTPFound("/ok")

    async def leave(request):
        raise web.HTTPFound(outside.url("/ok"))

    routes = [web.get("/ok", ok), web.get("/inside", inside), web.get("/outside", leave), web.get("/hang", hang)]
    server = await Recording().start(routes)
    yield server
    await server.close()


def target(url, **kw) -> Target:
    return target_from_setting({"name": "class-api", "url": url, **kw})


SPEC = {"strategy": "gather", "requests": 4, "return_exceptions": True}


def assert_refused(evts, strategy):
    """Every request ended refused; under the others (each stops at the first error) the
    ones not yet refused when the first was end cancelled, none of them sent."""
    errors = [e["error"] for e in evts if e["type"] == "task.finished"]
    assert len(errors) == 4 and "TargetRefused" in errors
    assert (
        set(errors) == {"TargetRefused"} if strategy == "gather" else set(errors) <= {"TargetRefused", "CancelledError"}
    )


def statuses(evts):
    return [(b["status"]) for b in bars(evts).values()]


async def test_an_allowed_target_is_used_without_the_demo_workload(allowed):
    t = target(allowed.url("/ok"))
    outcome, evts = await run_spec(SPEC, "unused", target=t)
    assert outcome.summary["counts"]["ok"] == 4 and allowed.hits == 4
    assert outcome.summary["ideal_s"] is None, "a real target's latencies are not planned"


async def test_a_redirect_within_the_allowlist_is_followed(allowed):
    outcome, _ = await run_spec(SPEC, "unused", target=target(allowed.url("/inside")))
    assert outcome.summary["counts"]["ok"] == 4


# pool builds a session of its own (api.resolver, api.middlewares): the
# allowlist must hold there as it does on the playground's session; to_thread and
# threads make their requests with the blocking client (urllib: runs/targets.py
# blocking_opener), which must keep to it as well. (blocking, on the loop's own thread,
# would hold these in-process servers too: tests/test_fetch_blocking.py covers it.)
SPECS = {
    "gather": SPEC,
    "pool": {"strategy": "pool", "requests": 4, "limit": 2},
    "to_thread": {"strategy": "to_thread", "requests": 4},
    "threads": {"strategy": "threads", "requests": 4, "workers": 2},
}


@pytest.mark.parametrize("strategy", ["pool", "threads"])
async def test_a_strategy_with_a_client_of_its_own_uses_an_allowed_target(allowed, strategy):
    outcome, evts = await run_spec(SPECS[strategy], "unused", target=target(allowed.url("/ok")))
    assert outcome.status == "finished" and outcome.summary["counts"]["ok"] == 4 and allowed.hits == 4
    assert outcome.summary["max_in_flight"] == 2


@pytest.mark.parametrize("strategy", SPECS)
async def test_a_redirect_leaving_the_allowlist_is_refused_unsent(allowed, outside, strategy):
    outcome, evts = await run_spec(SPECS[strategy], "unused", target=target(allowed.url("/outside")))
    assert outside.hits == 0, "the outside server must never be contacted"
    assert_refused(evts, strategy)


@pytest.mark.parametrize("strategy", SPECS)
async def test_a_name_resolving_elsewhere_is_refused_before_connecting(allowed, strategy):
    t = target(f"http://localhost:{allowed.port}/ok", addresses=["127.0.0.9"])
    outcome, evts = await run_spec(SPECS[strategy], "unused", target=t)
    assert allowed.hits == 0
    assert_refused(evts, strategy)
    assert outcome.status == ("finished" if strategy == "gather" else "failed")


@pytest.mark.parametrize("strategy", SPECS)
async def test_a_redirect_from_httpbin_to_a_port_off_the_list_is_refused_unsent(httpbin, outside, strategy):
    allowed_ = target_from_setting({"name": "httpbin", "url": httpbin.url("/get")})
    leave = target_from_setting({"name": "leave", "url": httpbin.url(f"/redirect-to?url={outside.url('/ok')}")})
    outcome, evts = await run_spec(SPECS[strategy], "unused", target=leave, allowed=[allowed_, leave])
    assert outside.hits == 0, "the server off the list must never be contacted"
    assert_refused(evts, strategy)


async def test_a_refused_connection_ends_each_request_as_an_error():
    t = target("http://127.0.0.1:9/nothing-listens-here")
    outcome, evts = await run_spec(SPEC, "unused", target=t)
    assert statuses(evts) == ["error"] * 4
    assert {e["error"] for e in evts if e["type"] == "task.finished"} == {"ClientConnectorError"}
    assert outcome.status == "finished" and outcome.summary["counts"]["error"] == 4


async def test_a_hanging_target_times_out_within_its_timeout(allowed):
    outcome, evts = await run_spec(
        {**SPEC, "strategy": "timeout", "timeout_ms": 300}, "unused", target=target(allowed.url("/hang"))
    )
    assert statuses(evts) == ["timeout"] * 4
    assert outcome.status == "finished" and outcome.summary["wall_s"] < 0.3 + 1.0


async def test_garbage_and_resets_end_as_errors():
    async def garbage(reader, writer):
        await reader.readline()
        writer.write(b"\x00\xffTHIS IS NOT HTTP\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome, evts = await run_spec(SPEC, "unused", target=target(f"http://127.0.0.1:{port}/x"))
    finally:
        server.close()
        await server.wait_closed()
    assert statuses(evts) == ["error"] * 4
    assert outcome.status == "finished"


def test_the_form_and_the_api_offer_only_allowed_targets(settings):
    settings.PLAYGROUND_TARGETS = [{"name": "httpbin", "url": "http://127.0.0.1:8080/get"}]
    ok = RunSpecForm(data={"strategy": "gather", "target": "httpbin"})
    assert ok.is_valid(), ok.errors
    assert ok.spec()["target"] == "httpbin"
    assert spec_from_json({"strategy": "gather", "target": "httpbin"})["target"] == "httpbin"
    bad = RunSpecForm(data={"strategy": "gather", "target": "http://10.0.0.1/"})
    assert not bad.is_valid()
    assert "allowed targets: demo, httpbin" in bad.errors["target"][0]
    with pytest.raises(SpecError) as refused:
        spec_from_json({"strategy": "gather", "target": "http://10.0.0.1/"})
    assert "allowed targets: demo, httpbin" in refused.value.errors["target"][0]


@pytest.mark.parametrize(
    "entry,text",
    [
        ({"name": "x", "url": "ftp://127.0.0.1/"}, "url must be http\\(s\\)"),
        ({"name": "demo", "url": "http://127.0.0.1/"}, "name other than 'demo'"),
        ({"url": "http://127.0.0.1/"}, "needs a name"),
    ],
)
def test_bad_target_settings_say_what_is_wrong(entry, text):
    with pytest.raises(ValueError, match=text):
        target_from_setting(entry)
