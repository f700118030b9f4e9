"""The gallery and the pause through the session's real Daphne (runs execute in it, inline).

A learner's runs during the class become cards (GET /api/classes/<code>/gallery, and class.gallery
on the teacher's socket when they change, from the socket's database loop); a stranger's runs,
and the learner's runs from before joining, never do. The teacher pauses learners' runs (PATCH
runs_paused): their POST /api/runs and the form answer 409 naming the pause, the teacher's own
runs start, every socket is told (class.paused) and a new socket's hello says so.
"""

import asyncio
import json
import re
from datetime import timedelta

import aiohttp
import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils.timezone import now

from playground.classes.codes import code_new
from playground.classes.gallery import GALLERY_POLL_S, WATCH_TASK
from playground.classes.models import Classroom
from playground.classes.services import teacher_group
from playground.routing import websocket_urlpatterns
from tests.support.classes import SOCKET_TIMEOUT_S, Browser, message_until, next_message
from tests.support.demoapi import until

SPEC = {"strategy": "gather", "requests": 3, "latency_ms": 50, "jitter_ms": 0}
CARD_FIELDS = {"run", "learner", "name", "strategy", "params", "n", "status", "wall_s", "created", "url"}


def finished(run_id: str):
    return lambda m: any(c["run"] == run_id and c["status"] == "finished" for c in m["cards"])


async def test_a_learners_runs_in_the_class_become_cards_for_the_teacher_only(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as stranger:
        code = (await teacher.create_class())["code"]
        before = await ada.start_run(SPEC)  # before joining: not the class's
        status, me = await ada.join(code, "Ada Lovelace")
        assert status == 201
        watch = await teacher.socket(code)
        hello = await next_message(watch)
        assert hello["type"] == "class.hello" and hello["paused"] is False
        theirs = await ada.socket(code)
        assert (await next_message(theirs))["paused"] is False
        await stranger.start_run(SPEC)
        run = await ada.start_run(SPEC)

        seen: list[dict] = []
        message = await message_until(watch, "class.gallery", finished(run), seen=seen)
        assert [c["run"] for c in message["cards"]] == [run]  # the full list: this run alone
        card = message["cards"][0]
        assert set(card) == CARD_FIELDS
        assert card["learner"] == me["id"] and card["name"] == "Ada Lovelace"
        assert card["strategy"] == "gather" and card["n"] == 3 and card["url"] == f"/runs/{run}/"
        assert card["params"]["latency_ms"] == 50 and "strategy" not in card["params"]
        assert card["wall_s"] >= 0.05  # three requests of 50 ms at once
        assert before not in json.dumps(seen)

        status, body, _ = await teacher.call("GET", f"/api/classes/{code}/gallery")
        assert status == 200 and body == {"cards": message["cards"]}

        # The learner's socket: its hello, the roster, then nothing of the gallery up to a pong.
        await theirs.send_json({"type": "ping"})
        got: list[dict] = []
        await message_until(theirs, "pong", seen=got)
        assert [m["type"] for m in got] == ["class.roster", "pong"], got
        await watch.close()
        await theirs.close()


async def test_the_gallery_changes_as_a_run_goes(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code = (await teacher.create_class())["code"]
        await ada.join(code, "Ada")
        watch = await teacher.socket(code)
        await message_until(watch, "class.roster")  # no runs yet: no cards sent
        run = await ada.start_run({**SPEC, "latency_ms": 1500})  # seen running, a second's poll or two before it ends
        seen: list[dict] = []
        await message_until(watch, "class.gallery", finished(run), seen=seen)
        statuses = [c["status"] for m in seen if m["type"] == "class.gallery" for c in m["cards"]]
        assert statuses[-1] == "finished" and len(statuses) >= 2, statuses
        assert set(statuses[:-1]) <= {"queued", "running"}
        await watch.close()


class Session:
    """ASGI middleware: the scope's session is a browser whose visitor id is `visitor`."""

    def __init__(self, app, visitor: str):
        self.app, self.visitor = app, visitor

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "session": {"visitor": self.visitor}}, receive, send)


def watches() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == WATCH_TASK]


@pytest.mark.django_db(transaction=True)
async def test_a_teacher_sockets_gallery_loop_ends_with_the_socket():
    """In this process (the in-memory layer, the test database): the loop is a task of the socket's."""
    classroom = await Classroom.objects.acreate(code=code_new(), teacher="t1", expires_at=now() + timedelta(hours=1))
    app = Session(URLRouter(websocket_urlpatterns), "t1")
    ws = WebsocketCommunicator(app, f"/ws/classes/{classroom.code}/")
    connected, _ = await ws.connect(timeout=SOCKET_TIMEOUT_S)
    assert connected and not watches()
    kinds = [(await ws.receive_json_from(timeout=SOCKET_TIMEOUT_S))["type"] for _ in range(2)]
    assert kinds == ["class.hello", "class.roster"]
    await until(lambda: len(watches()) == 1)
    assert await ws.receive_nothing(timeout=2 * GALLERY_POLL_S)  # a class without runs: no cards to send
    await ws.disconnect(timeout=SOCKET_TIMEOUT_S)
    await until(lambda: not watches())


@pytest.mark.django_db(transaction=True)
async def test_a_class_has_one_watcher_however_many_teacher_pages_and_the_projector_none():
    """In this process: two teacher pages share the class's one watcher (the last to close stops it);
    the projector's socket (?view=projector) neither starts one nor gets cards."""
    classroom = await Classroom.objects.acreate(code=code_new(), teacher="t1", expires_at=now() + timedelta(hours=1))
    app = Session(URLRouter(websocket_urlpatterns), "t1")
    path = f"/ws/classes/{classroom.code}/"
    projector = WebsocketCommunicator(app, path + "?view=projector")
    assert (await projector.connect(timeout=SOCKET_TIMEOUT_S))[0]
    kinds = [(await projector.receive_json_from(timeout=SOCKET_TIMEOUT_S))["type"] for _ in range(2)]
    assert kinds == ["class.hello", "class.roster"] and not watches()
    pages = [WebsocketCommunicator(app, path), WebsocketCommunicator(app, path)]
    for page in pages:
        assert (await page.connect(timeout=SOCKET_TIMEOUT_S))[0]
        kinds = [(await page.receive_json_from(timeout=SOCKET_TIMEOUT_S))["type"] for _ in range(2)]
        assert kinds == ["class.hello", "class.roster"]
    await until(lambda: len(watches()) == 1)
    assert len(watches()) == 1

    cards = {"type": "class.gallery", "cards": []}  # as the watcher sends them: to the teacher's group
    await get_channel_layer().group_send(teacher_group(classroom.code), cards)
    for page in pages:
        assert await page.receive_json_from(timeout=SOCKET_TIMEOUT_S) == cards
    assert await projector.receive_nothing(timeout=0.5)

    await pages[0].disconnect(timeout=SOCKET_TIMEOUT_S)
    assert len(watches()) == 1  # the other page still shows cards
    await pages[1].disconnect(timeout=SOCKET_TIMEOUT_S)
    await until(lambda: not watches())
    await projector.disconnect(timeout=SOCKET_TIMEOUT_S)


async def test_the_gallery_and_the_pause_are_the_teachers_alone(server):
    async with (
        Browser(server) as teacher,
        Browser(server) as ada,
        Browser(server) as stranger,
        Browser(server, cookies=False) as script,
    ):
        code = (await teacher.create_class())["code"]
        await ada.join(code, "Ada")
        for who in (ada, stranger, script):
            status, body, _ = await who.call("GET", f"/api/classes/{code}/gallery")
            assert status == 403 and "teacher" in body["error"], (status, body)
            status, body, _ = await who.call("PATCH", f"/api/classes/{code}", {"runs_paused": True})
            assert status == 403 and "teacher" in body["error"], (status, body)
        status, body, _ = await teacher.call("GET", f"/api/classes/{code}")
        assert status == 200 and body["runs_paused"] is False  # none of them paused it
        status, body, _ = await teacher.call("GET", "/api/classes/ZZZZ-ZZZ5/gallery")
        assert status == 404


async def test_a_bad_pause_body_is_a_400_naming_the_field(server):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        for body, field, text in [
            ({"runs_paused": "yes"}, "runs_paused", "Must be true or false."),
            ({"runs_paused": 1}, "runs_paused", "Must be true or false."),
            ({"paused": True}, "paused", "Unknown field; allowed fields: show_names, runs_paused."),
        ]:
            status, answer, _ = await teacher.call("PATCH", f"/api/classes/{code}", body)
            assert status == 400 and answer == {"errors": {field: [text]}}, (body, answer)
        status, answer, _ = await teacher.call("PATCH", f"/api/classes/{code}", raw=b"[true]")
        assert status == 400 and "__all__" in answer["errors"]


async def test_paused_learners_get_409_the_teacher_runs_and_every_socket_is_told(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as stranger:
        code = (await teacher.create_class())["code"]
        await ada.join(code, "Ada")
        watch, theirs = await teacher.socket(code), await ada.socket(code)
        for ws in (watch, theirs):
            assert (await next_message(ws))["paused"] is False

        status, body, _ = await teacher.call("PATCH", f"/api/classes/{code}", {"runs_paused": True})
        assert status == 200 and body["runs_paused"] is True
        for ws in (watch, theirs):
            assert await message_until(ws, "class.paused") == {"type": "class.paused", "paused": True}

        status, body, _ = await ada.call("POST", "/api/runs", SPEC)
        assert status == 409 and body["error"].startswith(f"Your teacher paused runs in class {code}"), body
        status, page, _ = await ada.page("/", form={"strategy": "gather", "requests": "3", "latency_ms": "50"})
        assert status == 409 and f"Your teacher paused runs in class {code}" in page
        await teacher.start_run(SPEC)  # the teacher's own runs are not paused
        await stranger.start_run(SPEC)  # nor anyone else's
        later = await ada.socket(code)
        assert (await next_message(later))["paused"] is True  # a new socket's hello says so

        status, body, _ = await teacher.call("PATCH", f"/api/classes/{code}", {"runs_paused": False})
        assert status == 200 and body["runs_paused"] is False
        for ws in (watch, theirs, later):
            assert await message_until(ws, "class.paused") == {"type": "class.paused", "paused": False}
        await ada.start_run(SPEC)
        status, page, url = await ada.page("/", form={"strategy": "gather", "requests": "3", "latency_ms": "50"})
        assert status == 200 and re.search(r"/runs/[0-9a-f-]{36}/$", url), url
        for ws in (watch, theirs, later):
            await ws.close()


async def test_a_paused_learner_cannot_start_a_pair_either(server):
    pair = {"pair": "sequential-vs-gather"}
    async with Browser(server) as teacher, Browser(server) as ada:
        code = (await teacher.create_class())["code"]
        await ada.join(code, "Ada")
        assert (await teacher.call("PATCH", f"/api/classes/{code}", {"runs_paused": True}))[0] == 200
        status, page, url = await ada.page("/compare/", form=pair)
        assert status == 409 and f"Your teacher paused runs in class {code}" in page, url
        assert url == server.base + "/compare/"  # no comparison started
        status, page, url = await teacher.page("/compare/", form=pair)  # the teacher's own pairs start
        assert status == 200 and re.search(r"/compare/\?runs=[0-9a-f-]{36},[0-9a-f-]{36}$", url), url
        assert (await teacher.call("PATCH", f"/api/classes/{code}", {"runs_paused": False}))[0] == 200
        status, page, url = await ada.page("/compare/", form=pair)
        assert status == 200 and re.search(r"/compare/\?runs=[0-9a-f-]{36},[0-9a-f-]{36}$", url), url


async def test_a_removed_learner_is_no_longer_paused_and_leaves_the_gallery(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code = (await teacher.create_class())["code"]
        _, me = await ada.join(code, "Ada")
        run = await ada.start_run(SPEC)
        watch = await teacher.socket(code)
        await message_until(watch, "class.gallery", finished(run))
        await teacher.call("PATCH", f"/api/classes/{code}", {"runs_paused": True})
        status, _, _ = await ada.call("POST", "/api/runs", SPEC)
        assert status == 409
        status, _, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{me['id']}")
        assert status == 204
        message = await message_until(watch, "class.gallery", lambda m: not m["cards"])
        assert message == {"type": "class.gallery", "cards": []}
        await ada.start_run(SPEC)  # out of the class: its pause is not theirs
        await watch.close()


async def test_the_openapi_document_states_the_gallery_and_the_409(server):
    async with aiohttp.ClientSession() as http:
        async with http.get(server.base + "/api/openapi.json") as r:
            doc = await r.json()
    gallery = doc["paths"]["/api/classes/{code}/gallery"]["get"]
    assert {"200", "400", "403", "404", "410", "429"} <= set(gallery["responses"])
    assert "409" in doc["paths"]["/api/runs"]["post"]["responses"]
    body = doc["paths"]["/api/classes/{code}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["runs_paused"]["anyOf"][0] == {"type": "boolean"}
