"""A class through a real Daphne: create, join, remove, limits, refusals, pages.

The module's own Daphne has small limits (tests/support/class_server.py) so that each is reached
in a few calls. The class socket is tested in test_class_socket.py; codes, names and pruning in
test_class_names.py.
"""

import json
import re
from datetime import datetime, timedelta

import pytest

from playground.classes.codes import PATTERN
from playground.classes.names import name_clean
from tests.support.class_server import CREATES, MAX_LEARNERS, PER_ADDRESS, PER_CLASS, WINDOW_S, small_limits_daphne
from tests.support.classes import (
    Browser,
    class_expire,
    closed_with,
    fresh_address,
)


@pytest.fixture(scope="module")
def server(demo_api):
    with small_limits_daphne(demo_api.url, "classes") as srv:
        yield srv


# --- Creating and joining ---------------------------------------------------------------------


async def test_a_class_is_created_for_its_browser_and_expires_after_the_set_time(server):
    async with Browser(server) as teacher, Browser(server) as stranger:
        before = datetime.now().astimezone()
        created = await teacher.create_class()
        code = created["code"]
        assert re.fullmatch(PATTERN, code) and "-" in code
        assert created["join_url"] == f"/class/{code}/" and created["ws"] == f"/ws/classes/{code}/"
        ends = datetime.fromisoformat(created["expires_at"])
        assert timedelta(hours=4) - timedelta(minutes=1) <= ends - before <= timedelta(hours=4, minutes=1)
        status, mine, _ = await teacher.call("GET", f"/api/classes/{code.lower().replace('-', '')}")
        assert status == 200 and mine["teacher"] is True and mine["you"] is None and mine["code"] == code
        status, theirs, _ = await stranger.call("GET", f"/api/classes/{code}")
        assert status == 200 and theirs["teacher"] is False and theirs["you"] is None
        assert theirs["max_learners"] == MAX_LEARNERS and theirs["show_names"] is False


async def test_codes_are_unique_across_classes(server):
    async with Browser(server) as teacher:
        codes = [(await teacher.create_class())["code"] for _ in range(20)]
    assert len(set(codes)) == 20


async def test_learners_join_and_the_same_browser_joining_again_is_renamed(server):
    async with Browser(server) as teacher, Browser(server) as ada:
        code = (await teacher.create_class())["code"]
        status, first = await ada.join(code, "  Quiet   Otter ")
        assert status == 201 and first["name"] == "Quiet Otter" and first["id"] >= 1
        status, again = await ada.join(code, "Brave Heron")
        assert status == 200 and again["id"] == first["id"] and again["name"] == "Brave Heron"
        status, roster, _ = await teacher.call("GET", f"/api/classes/{code}/roster")
        assert status == 200 and roster["count"] == 1
        assert [(x["id"], x["name"]) for x in roster["learners"]] == [(first["id"], "Brave Heron")]
        status, you, _ = await ada.call("GET", f"/api/classes/{code}")
        assert status == 200 and you["you"]["name"] == "Brave Heron" and you["teacher"] is False


async def test_names_are_unique_in_a_class_ignoring_case(server):
    async with Browser(server) as teacher, Browser(server) as a, Browser(server) as b:
        code = (await teacher.create_class())["code"]
        assert (await a.join(code, "Quiet Otter"))[0] == 201
        status, body = await b.join(code, "QUIET otter")
        assert status == 400 and body["errors"]["name"][0].startswith("This name cannot be used in this class;")
        assert "Quiet" not in json.dumps(body) and "QUIET" not in json.dumps(body)  # nothing says who is in
        assert (await b.join(code, "Quiet Otter 2"))[0] == 201
        status, body = await b.join(code, "Ｑｕｉｅｔ Ｏｔｔｅｒ")  # full-width: the same name, once normalised
        assert status == 400 and body["errors"]["name"][0].startswith("This name cannot be used")


@pytest.mark.parametrize(
    "body,field,text",
    [
        ({"name": ""}, "name", "Must be 1 to 24 characters once trimmed; got 0."),
        ({"name": "x" * 30}, "name", "Must be 1 to 24 characters once trimmed; got 30."),
        ({"name": "<script>"}, "name", "Only letters, digits, spaces and - _ . are allowed"),
        ({"name": 7}, "name", "Required, as text: 1 to 24 characters"),
        ({"name": None}, "name", "Required, as text"),
        ({}, "name", "Required, as text"),
        ({"name": "Ada", "admin": True}, "admin", "Unknown field; allowed fields: name."),
        (["Ada"], "__all__", "The body must be a JSON object with the fields: name."),
    ],
)
async def test_bad_joins_get_400_naming_the_field(server, body, field, text):
    async with Browser(server) as teacher, Browser(server) as learner:
        code = (await teacher.create_class())["code"]
        status, answer, _ = await learner.call("POST", f"/api/classes/{code}/join", body)
        assert status == 400, answer
        assert any(text in m for m in answer["errors"][field]), answer


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b'{"name": "' + b"a" * 2000 + b'"}', b"[" * 5000])
async def test_malformed_join_bodies_get_400(server, raw):
    async with Browser(server) as teacher, Browser(server) as learner:
        code = (await teacher.create_class())["code"]
        status, answer, _ = await learner.call("POST", f"/api/classes/{code}/join", raw=raw)
        assert status == 400 and "__all__" in answer["errors"], answer


async def test_a_class_holds_at_most_its_size(server):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        for n in range(MAX_LEARNERS):
            async with Browser(server) as learner:
                assert (await learner.join(code, f"Learner {n}"))[0] == 201
        async with Browser(server) as late:
            status, body = await late.join(code, "Late Lynx")
        assert status == 409 and body["error"] == f"This class is full: at most {MAX_LEARNERS} learners."


async def test_the_teacher_cannot_join_their_own_class(server):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        status, body = await teacher.join(code, "Teacher")
        assert status == 409 and "teacher" in body["error"]


# --- Limits -----------------------------------------------------------------------------------


async def test_one_address_joins_freely_but_codes_that_name_no_class_are_limited(server):
    async with Browser(server) as teacher:
        codes = [(await teacher.create_class())["code"] for _ in range(2)]
    address = fresh_address()
    for n in range(2 * MAX_LEARNERS):  # a school behind one router: more joins than PER_ADDRESS, all in
        async with Browser(server, address=address) as learner:
            assert (await learner.join(codes[n % 2], f"Swift Fox {n}"))[0] == 201
    async with Browser(server, address=address) as guesser:
        assert (await guesser.call("GET", "/api/classes/nonsense"))[0] == 400  # not a code: no answer to count
        misses = [  # every answer that tells whether a code exists counts a miss
            (await guesser.call("GET", "/api/classes/ZZZZ-ZZZ2"))[0],
            (await guesser.join("ZZZZ-ZZZ3", "Guesser"))[0],
            (await guesser.page("/class/ZZZZ-ZZZ4/"))[0],
            (await guesser.page("/class/ZZZZ-ZZZ5/", form={"name": "Guesser"}))[0],
            (await closed_with(await guesser.socket("ZZZZ-ZZZ6")))[1],
            (await guesser.call("GET", "/api/classes/ZZZZ-ZZZ7/roster"))[0],
        ]
        assert misses == [404, 404, 404, 404, 4404, 404] and len(misses) == PER_ADDRESS
        status, body, headers = await guesser.call("GET", f"/api/classes/{codes[0]}")  # even a real code now
        assert status == 429 and body["error"].startswith("Too many unknown class codes from your network")
        assert f"at most {PER_ADDRESS} in 3,600 s" in body["error"]
        assert WINDOW_S - 60 <= int(headers["Retry-After"]) <= WINDOW_S
        assert (await guesser.join(codes[1], "Late Lark"))[0] == 429
        status, page, _ = await guesser.page(f"/class/{codes[0]}/")
        assert status == 429 and "Too many unknown class codes" in page
        got, close_code = await closed_with(await guesser.socket(codes[0]))
        assert close_code == 4429 and "Too many unknown class codes" in got[-1]["error"]
    async with Browser(server) as elsewhere:  # another address is not held back
        assert (await elsewhere.call("GET", f"/api/classes/{codes[1]}"))[0] == 200


async def test_classes_started_from_one_address_are_limited(server):
    address = fresh_address()
    async with Browser(server, address=address) as teacher:
        codes = [(await teacher.create_class())["code"] for _ in range(CREATES)]
        assert len(set(codes)) == CREATES
        status, body, headers = await teacher.call("POST", "/api/classes")
        assert status == 429 and body["error"].startswith("Too many classes started from your network")
        assert f"at most {CREATES} in 3,600 s" in body["error"] and int(headers["Retry-After"]) >= WINDOW_S - 60
        status, page, _ = await teacher.page("/class/", form={})  # the "Start a class" button
        assert status == 429 and "Too many classes started from your network" in page
    async with Browser(server) as elsewhere:  # another address is not held back
        await elsewhere.create_class()


async def test_joins_into_one_class_are_limited(server):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
    statuses = []
    for _ in range(PER_CLASS):  # refused names count too: attempts are what is limited
        async with Browser(server) as learner:
            statuses.append((await learner.join(code, "<bad>"))[0])
    assert statuses == [400] * PER_CLASS
    async with Browser(server) as learner:
        status, body, headers = await learner.call("POST", f"/api/classes/{code}/join", {"name": "Fine Name"})
    assert status == 429 and "into this class" in body["error"] and int(headers["Retry-After"]) >= 1


# --- Only the teacher teaches -----------------------------------------------------------------

TEACHER_ACTIONS = [
    ("GET", "/api/classes/{code}/roster", None),
    ("PATCH", "/api/classes/{code}", {"show_names": True}),
    ("DELETE", "/api/classes/{code}/learners/{learner}", None),
]


@pytest.mark.parametrize("who", ["learner", "stranger", "cookieless"])
@pytest.mark.parametrize("method,path,body", TEACHER_ACTIONS, ids=[m for m, _, _ in TEACHER_ACTIONS])
async def test_teacher_actions_are_refused_to_anyone_else(server, who, method, path, body):
    async with Browser(server) as teacher, Browser(server) as learner:
        code = (await teacher.create_class())["code"]
        status, joined = await learner.join(code, "Curious Yak")
        assert status == 201
        url = path.format(code=code, learner=joined["id"])
        async with Browser(server, cookies=who != "cookieless") as stranger:
            caller = learner if who == "learner" else stranger
            status, answer, _ = await caller.call(method, url, body)
        assert status == 403, answer
        assert answer["error"] == "Only this class's teacher may do that (the browser that started the class)."
        status, roster, _ = await teacher.call("GET", f"/api/classes/{code}/roster")
        assert status == 200 and roster["count"] == 1  # nothing changed
        status, detail, _ = await teacher.call("GET", f"/api/classes/{code}")
        assert detail["show_names"] is False


async def test_teacher_writes_need_the_csrf_token(server):
    async with Browser(server) as teacher, Browser(server) as learner:
        code = (await teacher.create_class())["code"]
        joined = (await learner.join(code, "Eager Ibis"))[1]
        status, answer, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{joined['id']}", csrf=False)
        assert status == 403 and "CSRF" in answer["error"]
        status, answer, _ = await learner.call("POST", f"/api/classes/{code}/join", {"name": "X"}, csrf=False)
        assert status == 403 and "CSRF" in answer["error"]


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://elsewhere.example"}, {"Sec-Fetch-Site": "cross-site"}], ids=["origin", "fetch"]
)
async def test_another_sites_page_cannot_start_a_class_and_replace_the_session(server, headers):
    """Another site's form POST carries no cookies (SameSite=Lax); its answer must not set a session."""
    async with Browser(server, cookies=False) as script:
        status, answer, got = await script.call("POST", "/api/classes", headers=headers)
        assert status == 403 and answer["error"].startswith("Cross-site request refused"), answer
        assert "Set-Cookie" not in got
        code = (await script.create_class())["code"]  # a script sends no Origin: a class
        status, answer, got = await script.call(
            "POST", f"/api/classes/{code}/join", {"name": "Sly Fox"}, headers=headers
        )
        assert status == 403 and "Set-Cookie" not in got
        status, _, _ = await script.call("POST", "/api/classes", headers={"Origin": server.base})
        assert status == 201  # this site's own page


async def test_the_teacher_removes_a_learner_who_cannot_join_again(server):
    async with Browser(server) as teacher, Browser(server) as learner:
        code = (await teacher.create_class())["code"]
        joined = (await learner.join(code, "Plucky Puffin"))[1]
        status, _, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{joined['id']}")
        assert status == 204
        status, roster, _ = await teacher.call("GET", f"/api/classes/{code}/roster")
        assert roster == {"count": 0, "learners": []}
        status, body = await learner.join(code, "Plucky Puffin")
        assert status == 403 and "removed you" in body["error"]
        status, page, _ = await learner.page(f"/class/{code}/")
        assert status == 403 and "The teacher removed you from this class." in page
        status, body, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{joined['id']}")
        assert status == 404 and "No learner" in body["error"]  # already gone
        async with Browser(server) as other:  # the name is free again
            assert (await other.join(code, "plucky puffin"))[0] == 201


# --- Bad input, unknown and ended classes --------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/classes/{code}", None),
    ("PATCH", "/api/classes/{code}", {"show_names": True}),
    ("POST", "/api/classes/{code}/join", {"name": "Calm Crane"}),
    ("GET", "/api/classes/{code}/roster", None),
    ("DELETE", "/api/classes/{code}/learners/1", None),
]
IDS = [f"{m} {p}" for m, p, _ in ENDPOINTS]


@pytest.mark.parametrize("method,path,body", ENDPOINTS, ids=IDS)
async def test_a_code_that_is_no_code_gets_400_naming_it(server, method, path, body):
    async with Browser(server) as teacher:
        status, answer, _ = await teacher.call(method, path.format(code="NOT-A-CODE"), body)
    assert status == 400 and "8 letters and digits like ABCD-EFGH" in answer["errors"]["code"][0], answer


@pytest.mark.parametrize("method,path,body", ENDPOINTS, ids=IDS)
async def test_an_unknown_code_gets_404(server, method, path, body):
    async with Browser(server) as teacher:
        status, answer, _ = await teacher.call(method, path.format(code="ZZZZ-ZZZZ"), body)
    assert status == 404 and answer["error"].startswith("No class with code ZZZZ-ZZZZ"), answer


@pytest.mark.parametrize("method,path,body", ENDPOINTS, ids=IDS)
async def test_an_ended_class_gets_410(server, method, path, body):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        class_expire(server, code)
        status, answer, _ = await teacher.call(method, path.format(code=code), body)
        assert status == 410 and "ended" in answer["error"] and "new code" in answer["error"], answer
        status, page, _ = await teacher.page(f"/class/{code}/")
        assert status == 410 and "This class has ended" in page


@pytest.mark.parametrize("learner", ["abc", "0", "-1", "1.5", "99999999999999999999", "١", "9" * 5000])
async def test_a_bad_learner_id_gets_400_naming_it(server, learner):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        status, answer, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{learner}")
    assert status == 400 and "learner's id, a whole number" in answer["errors"]["learner_id"][0], answer


@pytest.mark.parametrize(
    "body,field",
    [
        ({"show_names": "yes"}, "show_names"),
        ({"show_names": 1}, "show_names"),
        ({"names": True}, "names"),
        (3, "__all__"),
    ],
)
async def test_bad_settings_get_400_naming_the_field(server, body, field):
    async with Browser(server) as teacher:
        code = (await teacher.create_class())["code"]
        status, answer, _ = await teacher.call("PATCH", f"/api/classes/{code}", body)
    assert status == 400 and field in answer["errors"], answer


# --- Pages --------------------------------------------------------------------------------------------


async def test_the_pages_teacher_join_form_joined_and_refusals(server):
    async with Browser(server) as teacher, Browser(server) as learner:
        status, page, url = await teacher.page("/", form=None)
        assert 'action="/class/"' in page and "Start a class" in page
        status, page, url = await teacher.page("/class/", form={})
        code = re.search(r"/class/([A-Z0-9-]+)/$", url).group(1)
        assert status == 200 and '<p id="class-code" class="class-code"' in page and code in page
        assert '<svg' in page and "<title>QR code of http" in page
        assert f"{server.base}/class/{code}/" in page  # the full join URL, shown and in the QR code

        status, page, _ = await learner.page(f"/class/{code}/")
        assert status == 200 and 'id="join-form"' in page
        suggested = re.search(r'id="join-name" name="name" type="text" value="([^"]+)"', page).group(1)
        assert name_clean(suggested) == suggested

        status, page, _ = await learner.page(f"/class/{code}/", form={"name": "<b>"})
        assert status == 400 and "Only letters, digits" in page and 'aria-invalid="true"' in page
        status, page, url = await learner.page(f"/class/{code}/", form={"name": suggested})
        assert status == 200 and url.endswith(f"/class/{code}/")
        assert f"You are in class <strong>{code}</strong> as <strong id=\"class-you\">{suggested}</strong>" in page
        assert 'id="run-form"' in page  # the playground, under the banner

        for path, status_expected in [("/class/ZZZZ-ZZZZ/", 404), ("/class/nonsense/", 404)]:
            status, page, _ = await learner.page(path)
            assert status == status_expected and "No such class" in page


async def test_a_learner_sees_the_class_banner_on_every_playground_page_until_removed(server):
    """A run's page too: a learner whose Run went through the plain form (or who reloads a run's
    URL) stays under the class's banner, its stage, round and pause."""
    async with Browser(server) as teacher, Browser(server) as learner, Browser(server) as stranger:
        code = (await teacher.create_class())["code"]
        status, joined, _ = await learner.call("POST", f"/api/classes/{code}/join", {"name": "Ada"})
        assert status == 201
        status, page, url = await learner.page("/", form={"strategy": "gather", "requests": "1", "latency_ms": "1"})
        assert status == 200 and "/runs/" in url, url  # the plain form's POST, redirected to the run's page
        banner = f'You are in class <strong>{code}</strong> as <strong id="class-you">Ada</strong>'
        assert banner in page
        for path in ("/", url.removeprefix(server.base)):
            assert banner in (await learner.page(path))[1]
            assert 'id="class-banner"' not in (await stranger.page(path))[1]
            assert 'id="class-banner"' not in (await teacher.page(path))[1]
        assert (await teacher.call("DELETE", f"/api/classes/{code}/learners/{joined['id']}"))[0] == 204
        assert 'id="class-banner"' not in (await learner.page("/"))[1]
