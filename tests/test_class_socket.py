"""The class socket, /ws/classes/<code>/, through a real Daphne (and two, over Redis): the hello,
the roster live, names only where allowed, removals, pings, refusals, the class's end.
"""

import asyncio
import contextlib
import json
import shutil
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import re_path
from django.utils.timezone import now

from playground.classes.codes import code_new
from playground.classes.models import Classroom
from playground.classes.services import teacher_group
from tests.support.class_server import MAX_LEARNERS, small_limits_daphne
from tests.support.classes import (
    SOCKET_TIMEOUT_S,
    Browser,
    class_expire,
    closed_with,
    fresh_address,
    message_until,
    next_message,
)
from tests.support.demoapi import until
from tests.support.heldsocket import as_visitor, gated_consumer
from tests.support.servers import start_test_daphne, stop


@pytest.fixture(scope="module")
def server(demo_api):
    with small_limits_daphne(demo_api.url, "class-socket") as srv:
        yield srv


# --- The class socket ------------------------------------------------------------------------------


async def test_the_roster_reaches_the_teacher_live_and_names_never_reach_learners(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as bo:
        code = (await teacher.create_class())["code"]
        watch = await teacher.socket(code)
        hello = await next_message(watch)
        assert hello["type"] == "class.hello" and hello["teacher"] is True and hello["class"]["code"] == code
        assert (await next_message(watch)) == {"type": "class.roster", "rev": 0, "count": 0, "learners": []}

        ada_id = (await ada.join(code, "Ada Lovelace"))[1]["id"]
        roster = await message_until(watch, "class.roster", lambda m: m["count"] == 1)
        assert [x["name"] for x in roster["learners"]] == ["Ada Lovelace"] and "joined" in roster["learners"][0]

        ada_ws = await ada.socket(code)
        hello = await next_message(ada_ws)
        frames: list[dict] = [hello]  # everything Ada's socket receives
        assert hello["teacher"] is False and hello["you"]["id"] == ada_id and hello["you"]["name"] == "Ada Lovelace"
        first = await message_until(ada_ws, "class.roster", seen=frames)
        assert first == {"type": "class.roster", "rev": first["rev"], "count": 1, "show_names": False}

        bo_id = (await bo.join(code, "Bo Diddley"))[1]["id"]
        roster = await message_until(watch, "class.roster", lambda m: m["count"] == 2)
        assert [x["name"] for x in roster["learners"]] == ["Ada Lovelace", "Bo Diddley"]
        counted = await message_until(ada_ws, "class.roster", lambda m: m["count"] == 2, seen=frames)
        assert "learners" not in counted
        assert not any("Bo Diddley" in json.dumps(f) for f in frames), frames  # not even in a field the page ignores

        # The teacher shows names: learners get them, each roster message from now on.
        status, _, _ = await teacher.call("PATCH", f"/api/classes/{code}", {"show_names": True})
        assert status == 200
        shown = await message_until(ada_ws, "class.roster", lambda m: m["show_names"], seen=frames)
        assert [x["name"] for x in shown["learners"]] == ["Ada Lovelace", "Bo Diddley"]
        assert all(set(x) == {"id", "name"} for x in shown["learners"])

        bo_ws = await bo.socket(code)
        assert (await next_message(bo_ws))["you"]["id"] == bo_id
        # Read all along, as a browser does: the server gives a close 1 s to be answered, then
        # drops the connection (autobahn), and the DELETE may return later than that.
        closing = asyncio.create_task(closed_with(bo_ws))
        status, _, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{bo_id}")
        assert status == 204
        got, close_code = await closing
        assert got[-1] == {"type": "class.removed", "message": "The teacher removed you from this class."}
        assert close_code == 4403
        roster = await message_until(watch, "class.roster", lambda m: m["count"] == 1)
        assert [x["id"] for x in roster["learners"]] == [ada_id]
        assert (await message_until(ada_ws, "class.roster", lambda m: m["count"] == 1))["learners"][0][
            "name"
        ] == "Ada Lovelace"

        # The removed browser cannot open the class socket again.
        again = await bo.socket(code)
        got, close_code = await closed_with(again)
        assert got == [{"type": "error", "error": "The teacher removed you from this class."}] and close_code == 4403
        for ws in (watch, ada_ws):
            await ws.close()


async def test_the_hello_comes_first_even_when_the_roster_changes_while_a_socket_starts(server):
    """Roster changes (show_names flipped) race the sockets' start (groups joined, roster read,
    hello sent): each socket's first message is its hello, then rosters, each newer than the last."""
    async with Browser(server) as teacher, Browser(server) as learner:
        code = (await teacher.create_class())["code"]

        async def watch():
            ws = await teacher.socket(code)
            first = await next_message(ws)
            revs = [(await next_message(ws))["rev"]] if first["type"] == "class.hello" else [first["rev"]]
            while True:  # until the learner's join, after every flip
                message = await next_message(ws)
                assert message["type"] == "class.roster", message
                revs.append(message["rev"])
                if message["count"] == 1:
                    await ws.close()
                    return first, revs

        async def flip():
            for n in range(40):
                status, _, _ = await teacher.call("PATCH", f"/api/classes/{code}", {"show_names": n % 2 == 0})
                assert status == 200

        watching = [asyncio.create_task(watch()) for _ in range(20)]
        await flip()
        assert (await learner.join(code, "Last In"))[0] == 201
        for first, revs in await asyncio.gather(*watching):
            assert first["type"] == "class.hello", (first, revs)
            assert revs == sorted(set(revs)), revs  # each roster newer than the last


async def test_a_learner_removed_while_their_socket_starts_is_closed_all_the_same(server):
    """The removal races the socket's start (its role read, its groups joined): whichever wins, it closes."""
    removed = "The teacher removed you from this class."
    async with Browser(server) as teacher, contextlib.AsyncExitStack() as stack:
        code = (await teacher.create_class())["code"]
        learners = [await stack.enter_async_context(Browser(server)) for _ in range(MAX_LEARNERS)]
        ids = [(await b.join(code, f"Racer {n}"))[1]["id"] for n, b in enumerate(learners)]

        async def race(learner, learner_id):
            path = f"/api/classes/{code}/learners/{learner_id}"

            async def read_to_close():  # from the moment it opens: a close is answered within 1 s or dropped
                return await closed_with(await learner.socket(code))  # a socket left open times out here

            (got, close_code), (status, _, _) = await asyncio.gather(read_to_close(), teacher.call("DELETE", path))
            assert status == 204
            assert close_code == 4403 and got[-1].get("message", got[-1].get("error")) == removed, got

        await asyncio.gather(*(race(b, i) for b, i in zip(learners, ids, strict=True)))


async def test_the_socket_answers_pings_and_refuses_anything_else_naming_it(server):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        ws = await teacher.socket(code)
        assert (await next_message(ws))["type"] == "class.hello"
        assert (await next_message(ws))["type"] == "class.roster"
        await ws.send_str('{"type": "ping"}')
        assert await next_message(ws) == {"type": "pong"}
        await ws.send_str('{"type": "class.roster", "learners": []}')
        got, close_code = await closed_with(ws)
        assert got == [{"type": "error", "error": 'type: unknown message; the only one accepted is {"type": "ping"}'}]
        assert close_code == 4400


@pytest.mark.parametrize(
    "send,text",
    [("[1]", "message is not a JSON object"), ("{", "message is not a JSON object"), ("x" * 2000, "too large")],
)
async def test_bad_socket_messages_get_an_error_and_a_close(server, send, text):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        ws = await teacher.socket(code)
        await next_message(ws)
        await ws.send_str(send)
        got, close_code = await closed_with(ws)
    assert got[-1]["type"] == "error" and text in got[-1]["error"] and close_code == 4400


async def test_the_socket_refuses_strangers_unknown_malformed_and_ended_classes(server):
    async with Browser(server) as teacher, Browser(server) as stranger:
        code = (await teacher.create_class())["code"]
        for who, path_code, close_code, text in [
            (stranger, code, 4403, "Join the class first"),
            (teacher, "ZZZZ-ZZZZ", 4404, "No class with code ZZZZ-ZZZZ"),
            (teacher, "nope", 4400, "Not a class code"),
        ]:
            got, closed = await closed_with(await who.socket(path_code))
            assert got[-1]["type"] == "error" and text in got[-1]["error"] and closed == close_code, got
        async with Browser(server, cookies=False) as cookieless:
            got, closed = await closed_with(await cookieless.socket(code))
            assert closed == 4403
        class_expire(server, code)
        got, closed = await closed_with(await teacher.socket(code))
        assert "ended" in got[-1]["error"] and closed == 4410


async def test_open_sockets_are_told_when_the_class_ends(server):
    """Sockets that started while the class lasted are told at its end, without asking. How soon
    two sockets start on a busy machine is not guessed: a class ending too soon for them (they
    are refused, 4410, instead of greeted) is tried again with more time."""
    async with Browser(server) as teacher, Browser(server) as learner:
        for in_s in (2, 4, 8, 16, 32, 64):
            code = (await teacher.create_class())["code"]
            assert (await learner.join(code, "Sunny Seal"))[0] == 201
            class_expire(server, code, in_s=in_s)
            sockets = [await teacher.socket(code), await learner.socket(code)]
            ends = await asyncio.gather(*(closed_with(ws, within_s=in_s + SOCKET_TIMEOUT_S) for ws in sockets))
            if all(got[0]["type"] == "class.hello" for got, _ in ends):
                break  # both started before the end
        for got, close_code in ends:
            assert [m["type"] for m in got] == ["class.hello", "class.roster", "class.ended"], got
            assert "This class has ended" in got[-1]["message"] and close_code == 4410


@pytest.fixture
def lone_server(demo_api):
    """A Daphne of its own, for a test that makes its server log a failure on purpose."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-classes-lone-"))
    proc, srv = start_test_daphne(tmp, demo_api.url)
    yield srv
    stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


async def test_a_failure_in_the_sockets_own_task_is_logged_and_closes_it_with_4500(lone_server):
    async with Browser(lone_server) as teacher:
        code = (await teacher.create_class())["code"]
        with sqlite3.connect(lone_server.db) as db:  # a roster revision the socket cannot compare: its start fails
            db.execute("UPDATE classes_classroom SET roster_rev = 'broken' WHERE code = ?", (code.replace("-", ""),))
        got, close_code = await closed_with(await teacher.socket(code))  # left open, this times out
        assert [m["type"] for m in got] == ["class.hello"] and close_code == 4500
    log = lone_server.log.read_text()
    assert f"class socket /ws/classes/{code}/: its task failed; closing it (4500)" in log and "TypeError" in log


# --- Several web processes: Redis carries the roster and the join counts ------------------------


@pytest.fixture
def two_daphnes(demo_api, redis_url):
    """Two Daphnes on one database and one Redis (channel layer and cache), as a scaled-out school runs."""
    tmp = Path(tempfile.mkdtemp(prefix="playground-classes-redis-"))
    env = {
        "REDIS_URL": redis_url,
        "PLAYGROUND_CLASS_MISSES_PER_ADDRESS": "3",
        "PLAYGROUND_CLASS_LIMIT_WINDOW_S": "3600",
    }
    first = start_test_daphne(tmp / "a", demo_api.url, env, db=tmp / "shared.sqlite3")
    second = start_test_daphne(tmp / "b", demo_api.url, env, db=tmp / "shared.sqlite3")
    yield first[1], second[1]
    for proc, _ in (first, second):
        stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)


async def test_with_redis_the_roster_and_the_join_limits_cross_web_processes(two_daphnes):
    a, b = two_daphnes
    address = fresh_address()
    async with Browser(a) as teacher:
        code = (await teacher.create_class())["code"]
        watch = await teacher.socket(code)  # on Daphne A
        assert (await next_message(watch))["type"] == "class.hello"
        assert (await next_message(watch))["count"] == 0
        for n, server in enumerate((b, b, a)):  # joins through Daphne B reach the teacher's socket on A
            async with Browser(server, address=address) as learner:
                assert (await learner.join(code, f"Learner {n}"))[0] == 201
            roster = await message_until(watch, "class.roster", lambda m, n=n: m["count"] == n + 1)
            assert roster["learners"][-1]["name"] == f"Learner {n}"
        for server in (b, a, b):  # 3 unknown codes from one address, counted by both
            async with Browser(server, address=address) as guesser:
                assert (await guesser.call("GET", "/api/classes/ZZZZ-ZZZZ"))[0] == 404
        async with Browser(a, address=address) as late:
            status, body = await late.join(code, "One Too Many")
        assert status == 429 and "at most 3 in 3,600 s" in body["error"]
        await watch.close()


# --- Held messages keep their order --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_message_that_comes_while_held_ones_are_passed_on_waits_behind_them():
    """In this process (the in-memory layer): messages held before the hello, then one that comes
    while the first held one is being sent, reach the page in the order they were sent."""
    classroom = await Classroom.objects.acreate(code=code_new(), teacher="t1", expires_at=now() + timedelta(hours=1))
    consumer = gated_consumer()
    app = as_visitor(URLRouter([re_path(r"^ws/classes/(?P<code>[\s\S]*)/$", consumer.as_asgi())]), "t1")
    ws = WebsocketCommunicator(app, f"/ws/classes/{classroom.code}/")
    connected, _ = await ws.connect(timeout=SOCKET_TIMEOUT_S)
    assert connected
    group, layer = teacher_group(classroom.code), get_channel_layer()
    async with asyncio.timeout(SOCKET_TIMEOUT_S):
        await consumer.reached.wait()
        await layer.group_send(group, {"type": "class.round", "n": 1, "gate": True})
        await layer.group_send(group, {"type": "class.round", "n": 2})
        await until(lambda: len(consumer.sockets[0].held or []) == 2)
        consumer.hello.set()
        await consumer.sending.wait()  # the first held message is on its way out
        await layer.group_send(group, {"type": "class.round", "n": 3, "late": True})
        await consumer.late_in.wait()
        consumer.go.set()
    got = [await ws.receive_json_from(timeout=SOCKET_TIMEOUT_S) for _ in range(5)]
    assert [m["type"] for m in got[:2]] == ["class.hello", "class.roster"]
    assert [m["n"] for m in got[2:]] == [1, 2, 3]
    await ws.disconnect(timeout=SOCKET_TIMEOUT_S)
