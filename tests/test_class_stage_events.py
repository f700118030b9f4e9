"""The stage runs' events on the class socket, through a real Daphne: every page of the class (teacher,
learners, projector) follows the runs on stage on the socket it already has, each event once, in
order, from the run's first event; only while the run is on stage.
"""

import pytest

from tests.support.classes import Browser, classroom, message_until, next_message

SLOW = {"strategy": "sequential", "requests": 8, "latency_ms": 200}  # ~1.6 s: sockets join mid-run


async def stage_run(ws, run_id: str, *, seen: list[dict] | None = None) -> list[dict]:
    """The run's events from stage.events on a class socket, read until its run.finished."""
    got: list[dict] = []
    while not got or got[-1]["type"] != "run.finished":
        message = await message_until(ws, "stage.events", lambda m: m["run"] == run_id, seen=seen)
        got.extend(message["events"])
    return got


async def stage_one(teacher: Browser, learner: Browser, spec: dict) -> tuple[str, object, list[dict], str]:
    """A class with `learner` in it, its class socket open (the hello read into `seen`), and a run for
    everyone of `spec`: (code, the socket, seen, the run's id)."""
    code, _ = await classroom(teacher, (learner, "Ada Lovelace"))
    ws = await learner.socket(code)
    seen: list[dict] = [await next_message(ws)]
    status, launched, _ = await teacher.call("POST", f"/api/classes/{code}/runs", spec)
    assert status == 201, launched
    return code, ws, seen, launched["id"]


def first_index(seen: list[dict], check) -> int:
    return next(i for i, m in enumerate(seen) if check(m))


def names_run(run_id: str):
    """A message that puts `run_id` on the page's stage: the hello's stage, or a class.stage."""

    def check(m: dict) -> bool:
        stage = m.get("stage") if m["type"] == "class.hello" else m if m["type"] == "class.stage" else None
        return stage is not None and run_id in [r["id"] for r in stage["runs"]]

    return check


async def test_every_class_socket_follows_the_stage_run_from_its_first_event_exactly_once(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as bo:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"), (bo, "Bo Diddley"))
        seen: dict[str, list[dict]] = {"teacher": [], "ada": [], "bo": [], "projector": []}
        sockets = {"teacher": await teacher.socket(code), "ada": await ada.socket(code)}
        assert teacher.http is not None
        sockets["projector"] = await teacher.http.ws_connect(
            f"{server.ws_base}/ws/classes/{code}/?view=projector", origin=server.base
        )
        for who in ("teacher", "ada", "projector"):
            seen[who].append(await next_message(sockets[who]))  # the hello: no run on stage yet
        status, launched, _ = await teacher.call("POST", f"/api/classes/{code}/runs", SLOW)
        assert status == 201
        run_id = launched["id"]
        early = await message_until(sockets["ada"], "stage.events", lambda m: m["run"] == run_id, seen=seen["ada"])
        while early["events"][-1]["seq"] < 2:  # the run is going
            early = await message_until(sockets["ada"], "stage.events", lambda m: m["run"] == run_id, seen=seen["ada"])
        sockets["bo"] = await bo.socket(code)  # joins mid-run: the run from its first event, then live
        got = {who: await stage_run(ws, run_id, seen=seen[who]) for who, ws in sockets.items()}
        ada_all = [e for m in seen["ada"] if m["type"] == "stage.events" for e in m["events"]]
        assert [e["seq"] for e in ada_all] == list(range(len(ada_all))), "each event once, in order"
        assert ada_all[-1]["type"] == "run.finished" and ada_all[-1]["status"] == "finished"
        for who in got:
            everything = [e for m in seen[who] if m["type"] == "stage.events" for e in m["events"]]
            assert everything == ada_all, f"{who}: the same events, from seq 0, once each"
            assert {m["run"] for m in seen[who] if m["type"].startswith("stage.")} == {run_id}
            # Never before the page was told the run is on stage.
            told = first_index(seen[who], names_run(run_id))
            assert told < first_index(seen[who], lambda m: m["type"] == "stage.events"), who
        assert seen["bo"][0]["type"] == "class.hello" and names_run(run_id)(seen["bo"][0])
        assert [m["events"][0]["seq"] for m in seen["bo"] if m["type"] == "stage.events"][0] == 0
        for ws in sockets.values():
            await ws.close()


async def test_a_run_off_the_stage_is_no_longer_followed_and_back_on_it_starts_again_from_seq_0(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code, ws, seen, run_id = await stage_one(teacher, ada, SLOW)
        await message_until(ws, "stage.events", lambda m: m["run"] == run_id, seen=seen)
        status, _, _ = await teacher.call("POST", f"/api/classes/{code}/stage", {"runs": []})
        assert status == 200
        cleared = await message_until(ws, "class.stage", lambda m: m["runs"] == [], seen=seen)
        status, _, _ = await teacher.call("POST", f"/api/classes/{code}/stage", {"runs": [run_id]})
        assert status == 200
        back = await message_until(ws, "class.stage", names_run(run_id), seen=seen)
        again = await stage_run(ws, run_id, seen=seen)
        between = seen[seen.index(cleared) + 1 : seen.index(back)]
        assert [m for m in between if m["type"].startswith("stage.")] == [], "nothing of a run while off stage"
        after = [m for m in seen[seen.index(back) :] if m["type"] == "stage.events"]
        assert after[0]["events"][0]["seq"] == 0, "back on stage: the page draws it afresh, from its first event"
        assert [e["seq"] for e in again] == list(range(len(again)))
        await ws.close()


@pytest.mark.parametrize("who", ["teacher", "learner"])
async def test_a_reconnected_class_socket_gets_the_finished_stage_run_whole_after_its_hello(server, who):
    async with Browser(server) as teacher, Browser(server) as ada:
        code, _ = await classroom(teacher, (ada, "Ada Lovelace"))
        browser = teacher if who == "teacher" else ada
        first = await browser.socket(code)
        await next_message(first)
        status, launched, _ = await teacher.call("POST", f"/api/classes/{code}/runs", {**SLOW, "requests": 3})
        assert status == 201
        before = await stage_run(first, launched["id"])
        await first.close()
        again = await browser.socket(code)
        hello = await next_message(again)
        assert hello["type"] == "class.hello" and names_run(launched["id"])(hello)
        assert await stage_run(again, launched["id"]) == before
        await again.close()


async def test_a_stage_with_other_runs_follows_each_afresh_from_seq_0_even_one_it_kept(server):
    # The page rebuilds every lane when the stage's runs change (stage-model.js stagePlan): a run kept on
    # stage must come again from its first event, or its new lane would wait for ever.
    async with Browser(server) as teacher, Browser(server) as ada:
        code, ws, seen, first = await stage_one(teacher, ada, {**SLOW, "requests": 3})
        before = await stage_run(ws, first, seen=seen)
        other = await teacher.start_run({**SLOW, "requests": 2})
        status, _, _ = await teacher.call("POST", f"/api/classes/{code}/stage", {"runs": [first, other]})
        assert status == 200
        both = await message_until(
            ws, "class.stage", lambda m: [r["id"] for r in m["runs"]] == [first, other], seen=seen
        )
        mark = len(seen)
        got = {other: await stage_run(ws, other, seen=seen)}
        after = [m for m in seen[mark:] if m["type"] == "stage.events"]
        kept = [e for m in after if m["run"] == first for e in m["events"]]
        while not kept or kept[-1]["type"] != "run.finished":
            kept.extend((await message_until(ws, "stage.events", lambda m: m["run"] == first, seen=seen))["events"])
        got[first] = kept
        assert got[first] == before, "the run kept on stage: again, whole, from seq 0"
        assert [e["seq"] for e in got[other]] == list(range(len(got[other])))
        assert seen.index(both) < mark
        await ws.close()
