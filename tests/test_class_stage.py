"""The stage through a real Daphne: the teacher's run for everyone, the stage handed to runs, who
may do it, what each socket is told (names only where allowed), the stage run's events on a
learner's run socket, the pages. Its place in the queue, with its load: test_class_stage_queue.py.
"""

import asyncio
import json
import uuid

import pytest

from tests.support.classes import SOCKET_TIMEOUT_S, Browser, classroom, message_until, next_message
from tests.support.wsclient import read_events

TINY = {"strategy": "gather", "requests": 3, "latency_ms": 50}
STAGE_FIELDS = {"rev", "runs", "load"}
RUN_FIELDS = {"id", "url", "ws", "strategy", "n", "by", "learner", "name"}


async def hello_of(browser: Browser, code: str, seen: list[dict] | None = None):
    ws = await browser.socket(code)
    hello = await next_message(ws)
    assert hello["type"] == "class.hello", hello
    if seen is not None:
        seen.append(hello)
    return ws, hello


# --- Only the teacher stages -----------------------------------------------------------------------

TEACHER_ACTIONS = [("POST", "/api/classes/{code}/runs", TINY), ("POST", "/api/classes/{code}/stage", {"runs": []})]


@pytest.mark.parametrize("who", ["learner", "stranger", "cookieless"])
@pytest.mark.parametrize("method,path,body", TEACHER_ACTIONS, ids=["runs", "stage"])
async def test_stage_actions_are_refused_to_anyone_but_the_teacher(server, who, method, path, body):
    async with Browser(server) as teacher, Browser(server) as learner:
        code, _ = await classroom(teacher, (learner, "Curious Yak"))
        async with Browser(server, cookies=who != "cookieless") as stranger:
            caller = learner if who == "learner" else stranger
            status, answer, _ = await caller.call(method, path.format(code=code), body)
        assert status == 403, answer
        assert answer["error"] == "Only this class's teacher may do that (the browser that started the class)."
        status, now, _ = await teacher.call("GET", f"/api/classes/{code}/stage")
        assert status == 200 and now == {"rev": 0, "runs": [], "load": None}, "nothing was staged"


@pytest.mark.parametrize("who", ["stranger", "cookieless"])
async def test_the_stage_is_read_only_by_the_class(server, who):
    async with Browser(server) as teacher, Browser(server) as learner:
        code, _ = await classroom(teacher, (learner, "Keen Lynx"))
        for member in (teacher, learner):
            status, now, _ = await member.call("GET", f"/api/classes/{code}/stage")
            assert status == 200 and now["runs"] == []
        async with Browser(server, cookies=who != "cookieless") as stranger:
            status, answer, _ = await stranger.call("GET", f"/api/classes/{code}/stage")
        assert status == 403 and "join the class first" in answer["error"]


async def test_stage_writes_need_the_csrf_token(server):
    async with Browser(server) as teacher:
        code, _ = await classroom(teacher)
        for path, body in (("runs", TINY), ("stage", {"runs": []})):
            status, answer, _ = await teacher.call("POST", f"/api/classes/{code}/{path}", body, csrf=False)
            assert status == 403 and "CSRF" in answer["error"]


# --- Bad input: 400 naming the field --------------------------------------------------------------


@pytest.mark.parametrize(
    "body,field,text",
    [
        ({"strategy": "nope"}, "strategy", "one of"),
        ({**TINY, "requests": 0}, "requests", "1"),
        ({**TINY, "colour": "red"}, "colour", "Unknown field"),
        ([1, 2], "__all__", "JSON object"),
    ],
)
async def test_a_bad_spec_gets_400_naming_the_field_as_the_run_api_does(server, body, field, text):
    async with Browser(server) as teacher:
        code, _ = await classroom(teacher)
        status, answer, _ = await teacher.call("POST", f"/api/classes/{code}/runs", body)
        assert status == 400 and field in answer["errors"], answer
        assert text in " ".join(answer["errors"][field])
        _, same, _ = await teacher.call("POST", "/api/runs", body)
        assert same == answer, "the same words as POST /api/runs: one RunSpec"


RUNS_RULE = "Must be a list of 0 to 2 different run ids"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"runs": "abc"}, "runs"),
        ({"runs": [1]}, "runs"),
        ({"runs": ["not-a-uuid"]}, "runs"),
        ({"runs": [str(uuid.uuid4())]}, "runs"),  # no such run
        ({"runs": [str(uuid.uuid4())] * 3}, "runs"),
        ({}, "runs"),
        ({"runs": [], "extra": 1}, "extra"),
    ],
)
async def test_a_bad_stage_body_gets_400_naming_the_field(server, body, field):
    async with Browser(server) as teacher:
        code, _ = await classroom(teacher)
        status, answer, _ = await teacher.call("POST", f"/api/classes/{code}/stage", body)
        assert status == 400 and list(answer["errors"]) == [field], answer
        if field == "runs":
            assert RUNS_RULE in " ".join(answer["errors"]["runs"])


async def test_only_runs_of_the_class_go_on_stage_at_most_two_and_different(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as outsider:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"))
        mine, hers, theirs = await teacher.start_run(TINY), await ada.start_run(TINY), await outsider.start_run(TINY)
        stage = f"/api/classes/{code}/stage"
        status, answer, _ = await teacher.call("POST", stage, {"runs": [theirs]})
        assert status == 400
        assert f"runs[0]: no run {theirs} of this class's teacher or learners" in answer["errors"]["runs"][0]
        for bad in ([mine, mine], [mine, hers, mine]):
            status, answer, _ = await teacher.call("POST", stage, {"runs": bad})
            assert status == 400 and list(answer["errors"]) == ["runs"], answer
        status, now, _ = await teacher.call("POST", stage, {"runs": [mine, hers]})
        assert status == 200 and [r["id"] for r in now["runs"]] == [mine, hers]
        assert [(r["by"], r["name"]) for r in now["runs"]] == [("teacher", None), ("learner", "Ada Lovelace")]
        status, cleared, _ = await teacher.call("POST", stage, {"runs": []})
        assert status == 200 and cleared["runs"] == [] and cleared["rev"] > now["rev"]


async def test_a_learners_run_from_before_they_joined_does_not_go_on_stage(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code = (await teacher.create_class())["code"]
        before = await ada.start_run(TINY)
        assert (await ada.join(code, "Ada Lovelace"))[0] == 201
        during = await ada.start_run(TINY)
        stage = f"/api/classes/{code}/stage"
        status, answer, _ = await teacher.call("POST", stage, {"runs": [during, before]})
        assert status == 400 and f"runs[1]: no run {before} of this class's" in answer["errors"]["runs"][0], answer
        status, now, _ = await teacher.call("POST", stage, {"runs": [during]})
        assert status == 200 and [r["id"] for r in now["runs"]] == [during]


# --- What each socket is told -------------------------------------------------------------------------


async def test_the_stage_reaches_teacher_and_learners_with_names_only_where_allowed(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as bo:
        code, (ada_id, _) = await classroom(teacher, (ada, "Ada Lovelace"), (bo, "Bo Diddley"))
        watch, hello = await hello_of(teacher, code)
        assert hello["stage"] == {"rev": 0, "runs": [], "load": None}
        frames: list[dict] = []  # everything Bo's socket receives
        bo_ws, _ = await hello_of(bo, code, frames)
        hers = await ada.start_run(TINY)

        status, now, _ = await teacher.call("POST", f"/api/classes/{code}/stage", {"runs": [hers]})
        assert status == 200
        told = await message_until(watch, "class.stage")
        assert told == {"type": "class.stage", **now}
        assert set(now) == STAGE_FIELDS and set(now["runs"][0]) == RUN_FIELDS
        assert now["runs"][0] == {
            "id": hers,
            "url": f"/runs/{hers}/",
            "ws": f"/ws/runs/{hers}/",
            "strategy": "gather",
            "n": 3,
            "by": "learner",
            "learner": ada_id,
            "name": "Ada Lovelace",
        }
        learners = await message_until(bo_ws, "class.stage", seen=frames)
        assert learners["rev"] == now["rev"] and learners["runs"][0]["name"] is None
        assert learners["runs"][0]["learner"] is None  # no id either: it could be mapped back to a name
        assert not any("Ada Lovelace" in json.dumps(f) for f in frames), frames  # not in any frame a learner got
        _, read, _ = await bo.call("GET", f"/api/classes/{code}/stage")
        assert read["runs"][0]["name"] is None

        status, _, _ = await teacher.call("PATCH", f"/api/classes/{code}", {"show_names": True})
        assert status == 200
        named = await message_until(
            bo_ws, "class.stage", lambda m: m["runs"][0]["name"] is not None
        )  # sent again, named now
        assert named["rev"] == now["rev"] and (named["runs"][0]["name"], named["runs"][0]["learner"]) == (
            "Ada Lovelace",
            ada_id,
        )
        status, again, _ = await teacher.call("POST", f"/api/classes/{code}/stage", {"runs": [hers]})
        shown = await message_until(bo_ws, "class.stage", lambda m: m["rev"] == again["rev"])
        assert shown["runs"][0]["name"] == "Ada Lovelace", "the teacher shows names now"
        assert shown["runs"][0]["learner"] == ada_id
        for ws in (watch, bo_ws):
            await ws.close()


async def test_a_late_joiners_hello_carries_the_stage_with_its_load(server):
    async with Browser(server) as teacher, Browser(server) as late:
        code, _ = await classroom(teacher)
        status, launched, _ = await teacher.call("POST", f"/api/classes/{code}/runs", TINY)
        assert status == 201 and set(launched) == {"id", "url", "ws", "stage"}
        assert launched["ws"] == f"/ws/runs/{launched['id']}/"
        stage = launched["stage"]
        assert [(r["id"], r["by"], r["learner"], r["name"]) for r in stage["runs"]] == [
            (launched["id"], "teacher", None, None)
        ]
        assert set(stage["load"]) == {"running", "queued"}
        await late.join(code, "Late Lark")
        ws, hello = await hello_of(late, code)
        assert hello["stage"] == stage
        again, hello = await hello_of(late, code)  # a reconnect: the same
        assert hello["stage"] == stage
        for socket in (ws, again):
            await socket.close()


async def test_the_stage_runs_events_reach_a_learner_replayed_then_live_exactly_once(server):
    spec = {"strategy": "sequential", "requests": 6, "latency_ms": 200}  # ~1.2 s: the late socket joins mid-run
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as bo:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"), (bo, "Bo Diddley"))
        ada_class, _ = await hello_of(ada, code)
        status, launched, _ = await teacher.call("POST", f"/api/classes/{code}/runs", spec)
        assert status == 201
        told = await message_until(ada_class, "class.stage")
        ws_path = told["runs"][0]["ws"]
        assert ws_path == launched["ws"]
        assert ada.http is not None and bo.http is not None
        early = await ada.http.ws_connect(server.ws_base + ws_path + "?after=-1", origin=server.base)
        head = await read_events(early, until_seq=3, until_finished=False)  # the run is going
        late = await bo.http.ws_connect(server.ws_base + ws_path + "?after=-1", origin=server.base)
        rest = await read_events(early)
        theirs = await read_events(late)  # what was stored, then what came live
        everything = head + rest
        seqs = [e["seq"] for e in everything]
        assert seqs == list(range(len(everything))) and everything[-1]["type"] == "run.finished"
        assert [e["seq"] for e in theirs] == seqs, "the late socket: every event once, in order"
        assert theirs == everything
        assert everything[-1]["status"] == "finished"
        for socket in (early, late, ada_class):
            await socket.close()


# --- The pages ------------------------------------------------------------------------------------


async def test_the_projector_view_is_the_teachers_alone_and_names_no_one(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"))
        await teacher.call("POST", f"/api/classes/{code}/stage", {"runs": [await ada.start_run(TINY)]})
        status, html, _ = await teacher.page(f"/class/{code}/projector/")
        assert status == 200 and code in html and "<svg" in html and 'id="stage"' in html
        assert "Ada Lovelace" not in html
        assert f"/ws/classes/{code}/?view=projector" in html  # its socket: the stage, without the gallery's cards
        status, html, _ = await ada.page(f"/class/{code}/projector/")
        assert status == 403 and "teacher can open its projector view." in html
        async with Browser(server) as stranger:
            status, _, _ = await stranger.page(f"/class/{code}/projector/")
            assert status == 403
        status, _, _ = await teacher.page("/class/ABCD-EFGH/projector/")
        assert status == 404


async def test_the_teachers_page_has_the_run_panel_and_a_learners_page_the_stage(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"))
        status, html, _ = await teacher.page(f"/class/{code}/")
        assert status == 200 and 'id="stage-form"' in html and 'id="stage-clear"' in html
        assert '"presets"' in html and '"vocabulary"' in html  # the boot data class-stage.js reads
        status, html, _ = await ada.page(f"/class/{code}/")
        assert status == 200 and 'id="stage"' in html and 'id="stage-form"' not in html


async def test_run_for_everyone_locks_the_open_round_on_its_run(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"))
        status, opened, _ = await teacher.call("POST", f"/api/classes/{code}/rounds", {})
        assert status == 201, opened
        status, _, _ = await ada.call("POST", f"/api/classes/{code}/guesses", {"guess_ms": 800})
        assert status == 201
        watch, hello = await hello_of(ada, code)
        assert hello["round"]["state"] == "open"
        status, launched, _ = await teacher.call("POST", f"/api/classes/{code}/runs", TINY)
        assert status == 201
        async with asyncio.timeout(SOCKET_TIMEOUT_S):
            while (message := await next_message(watch))["type"] != "class.round":
                pass
        assert message["round"]["state"] == "locked" and message["round"]["run"] == launched["id"]
        status, answer, _ = await ada.call("POST", f"/api/classes/{code}/guesses", {"guess_ms": 900})
        assert status == 409, answer
        await watch.close()
