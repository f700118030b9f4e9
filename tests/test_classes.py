"""A class through a real Daphne: create, join, roster over the websocket, remove, refusals.

The module's own Daphne has small limits (a class of 4; 6 unknown codes from one address, 8
join attempts into one class, counted over an hour from each count's first attempt) so that each is reached
in a few calls; every test's clients come from a loopback address of their own
(tests/support/classes.py), so the counts start at zero.
"""

import asyncio
import contextlib
import io
import json
import re
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.timezone import now as django_now

from playground.classes.codes import ALPHABET, CODE_LENGTH, PATTERN, CodeInvalid, code_new, code_normal, code_shown
from playground.classes.models import Classroom, Learner
from playground.classes.names import MAX_NAME, NameInvalid, name_clean, name_suggested
from playground.classes.pruning import CLASSES_AT_ONCE
from tests.support.classes import (
    SOCKET_TIMEOUT_S,
    Browser,
    class_expire,
    closed_with,
    fresh_address,
    next_message,
    roster_until,
)
from tests.support.fuzzing import assert_no_server_errors
from tests.support.servers import start_test_daphne, stop

MAX_LEARNERS, PER_ADDRESS, PER_CLASS = 4, 6, 8  # PER_ADDRESS: unknown codes looked up
CREATES = 25  # classes started from one address (one test starts 20)
WINDOW_S = 3600  # the limits' window: no count ends while the module runs


@pytest.fixture(scope="module")
def server(demo_api):
    tmp = Path(tempfile.mkdtemp(prefix="playground-classes-"))
    limits = {
        "PLAYGROUND_CLASS_MAX_LEARNERS": str(MAX_LEARNERS),
        "PLAYGROUND_CLASS_MISSES_PER_ADDRESS": str(PER_ADDRESS),
        "PLAYGROUND_CLASS_JOINS_PER_CLASS": str(PER_CLASS),
        "PLAYGROUND_CLASS_LIMIT_WINDOW_S": str(WINDOW_S),
        "PLAYGROUND_CLASS_CREATES_PER_ADDRESS": str(CREATES),
    }
    proc, srv = start_test_daphne(tmp, demo_api.url, limits)
    yield srv
    stop(proc)
    assert_no_server_errors(srv.log.read_text())  # every refusal above was an answer, never a 500
    shutil.rmtree(tmp, ignore_errors=True)


# --- Codes and names (pure) -------------------------------------------------------------------


def test_codes_are_40_random_bits_from_an_unambiguous_alphabet():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32 and CODE_LENGTH == 8  # 5 bits x 8
    assert not set("01IO") & set(ALPHABET)
    codes = {code_new() for _ in range(2000)}
    assert len(codes) == 2000  # 2,000 draws from 2^40 repeat with odds of about 2 in a million
    assert all(re.fullmatch(PATTERN, code_shown(c)) for c in codes)
    assert set("".join(codes)) == set(ALPHABET)  # every symbol is drawn


@pytest.mark.parametrize("typed", ["K7QMZ3RT", "k7qm-z3rt", " K7QM-Z3RT\n", "k7QMz3rt"])
def test_a_code_typed_any_way_is_the_same_code(typed):
    assert code_normal(typed) == "K7QMZ3RT" and code_shown("K7QMZ3RT") == "K7QM-Z3RT"


@pytest.mark.parametrize(
    "typed", ["", "K7QM", "K7QMZ3RT9", "K0QMZ3RT", "KIQM-Z3RT", "K7QM--Z3RT", "K7QM/Z3RT", "é7QMZ3RT"]
)
def test_what_is_not_a_code_is_refused_naming_the_rule(typed):
    with pytest.raises(CodeInvalid, match="8 letters and digits like ABCD-EFGH"):
        code_normal(typed)


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("Quiet Otter", "Quiet Otter"),
        ("  Zoë   the  3rd ", "Zoë the 3rd"),
        ("李小龙", "李小龙"),
        ("a_b-c.d", "a_b-c.d"),
        ("x" * MAX_NAME, "x" * MAX_NAME),
        ("Ωmega 9", "Ωmega 9"),
        ("Ａｄａ", "Ada"),  # full-width letters: NFKC
        ("Ada\u00a0\u3000Lovelace", "Ada Lovelace"),  # a no-break and an ideographic space
        ("\ufb01sh", "fish"),  # the ligature "fi"
        ("Zoe\u0308", "Zoë"),  # e + combining diaeresis: one letter
    ],
)
def test_names_of_letters_digits_spaces_and_dashes_are_kept_trimmed(raw, clean):
    assert name_clean(raw) == clean


@pytest.mark.parametrize(
    "raw,text",
    [
        ("", "1 to 24 characters"),
        ("    ", "1 to 24 characters"),
        ("x" * (MAX_NAME + 1), "got 25"),
        ("<b>hi</b>", "not '/' '<' '>'"),
        ("a\tb", "not '\\t'"),
        ("@everyone", "not '@'"),
        ("ok 🙂", "not '🙂'"),
        ("https://x.y", "not '/' ':'"),
    ],
)
def test_other_names_are_refused_naming_the_rule(raw, text):
    with pytest.raises(NameInvalid) as caught:
        name_clean(raw)
    assert text in str(caught.value), caught.value


def test_suggested_names_pass_the_rule():
    for _ in range(200):
        name = name_suggested()
        assert name_clean(name) == name and " " in name


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


# --- The class socket ------------------------------------------------------------------------------


async def test_the_roster_reaches_the_teacher_live_and_names_never_reach_learners(server):
    async with Browser(server) as teacher, Browser(server) as ada, Browser(server) as bo:
        code = (await teacher.create_class())["code"]
        watch = await teacher.socket(code)
        hello = await next_message(watch)
        assert hello["type"] == "class.hello" and hello["teacher"] is True and hello["class"]["code"] == code
        assert (await next_message(watch)) == {"type": "class.roster", "rev": 0, "count": 0, "learners": []}

        ada_id = (await ada.join(code, "Ada Lovelace"))[1]["id"]
        roster = await roster_until(watch, lambda m: m["count"] == 1)
        assert [x["name"] for x in roster["learners"]] == ["Ada Lovelace"] and "joined" in roster["learners"][0]

        ada_ws = await ada.socket(code)
        frames: list[str] = []  # everything Ada's socket receives, as sent
        hello = json.loads((await ada_ws.receive()).data)
        frames.append(json.dumps(hello))
        assert hello["teacher"] is False and hello["you"]["id"] == ada_id and hello["you"]["name"] == "Ada Lovelace"
        first = await roster_until(ada_ws, lambda m: True, frames)
        assert first == {"type": "class.roster", "rev": first["rev"], "count": 1, "show_names": False}

        bo_id = (await bo.join(code, "Bo Diddley"))[1]["id"]
        roster = await roster_until(watch, lambda m: m["count"] == 2)
        assert [x["name"] for x in roster["learners"]] == ["Ada Lovelace", "Bo Diddley"]
        counted = await roster_until(ada_ws, lambda m: m["count"] == 2, frames)
        assert "learners" not in counted
        assert not any("Bo Diddley" in f for f in frames), frames  # not even in a field the page ignores

        # The teacher shows names: learners get them, each roster message from now on.
        status, _, _ = await teacher.call("PATCH", f"/api/classes/{code}", {"show_names": True})
        assert status == 200
        shown = await roster_until(ada_ws, lambda m: m["show_names"], frames)
        assert [x["name"] for x in shown["learners"]] == ["Ada Lovelace", "Bo Diddley"]
        assert all(set(x) == {"id", "name"} for x in shown["learners"])

        bo_ws = await bo.socket(code)
        assert (await next_message(bo_ws))["you"]["id"] == bo_id
        status, _, _ = await teacher.call("DELETE", f"/api/classes/{code}/learners/{bo_id}")
        assert status == 204
        got, close_code = await closed_with(bo_ws)
        assert got[-1] == {"type": "class.removed", "message": "The teacher removed you from this class."}
        assert close_code == 4403
        roster = await roster_until(watch, lambda m: m["count"] == 1)
        assert [x["id"] for x in roster["learners"]] == [ada_id]
        assert (await roster_until(ada_ws, lambda m: m["count"] == 1))["learners"][0]["name"] == "Ada Lovelace"

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
            ws, (status, _, _) = await asyncio.gather(learner.socket(code), teacher.call("DELETE", path))
            assert status == 204
            got, close_code = await closed_with(ws)  # a socket left open times out here
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
            ends = [await closed_with(ws, within_s=in_s + SOCKET_TIMEOUT_S) for ws in sockets]
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


# --- Pruning ended classes (on the test database) -------------------------------------------------


def ended_class(*, days_ago: float, learners: int = 0) -> Classroom:
    """A class that ended `days_ago` days ago (a negative age: one still running), with learners."""
    classroom = Classroom.objects.create(
        code=code_new(), teacher="t", expires_at=django_now() - timedelta(days=days_ago)
    )
    Learner.objects.bulk_create(
        Learner(classroom=classroom, visitor=f"v{n}", name=f"L {n}", name_key=f"l {n}") for n in range(learners)
    )
    return classroom


def prune_classes(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_classes", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_prune_classes_deletes_classes_ended_long_ago_with_their_learners(settings):
    settings.CLASS_KEEP_DAYS = 7
    gone = [ended_class(days_ago=8, learners=3), ended_class(days_ago=400)]
    kept = [ended_class(days_ago=6, learners=2), ended_class(days_ago=-0.1, learners=1)]
    said = "2 classes and 3 learners that ended more than 7 days ago.\n"
    assert prune_classes("--dry-run") == "Would delete " + said
    assert Classroom.objects.count() == 4
    assert prune_classes() == "Deleted " + said
    assert set(Classroom.objects.values_list("id", flat=True)) == {c.id for c in kept}
    assert Learner.objects.count() == 3 and not Learner.objects.filter(classroom_id__in=[c.id for c in gone])
    assert prune_classes("--older-than", "1") == "Deleted 1 class and 2 learners that ended more than 1 day ago.\n"
    assert list(Classroom.objects.values_list("id", flat=True)) == [kept[1].id]  # still running: never pruned
    with pytest.raises(CommandError, match="--older-than must be a whole number of days from 1"):
        prune_classes("--older-than", "0")


@pytest.mark.django_db
def test_prune_classes_goes_through_more_than_one_batch():
    for _ in range(CLASSES_AT_ONCE + 1):
        ended_class(days_ago=30, learners=1)
    assert prune_classes("--older-than", "7") == (
        f"Deleted {CLASSES_AT_ONCE + 1} classes and {CLASSES_AT_ONCE + 1} learners that ended more than 7 days ago.\n"
    )
    assert not Classroom.objects.exists() and not Learner.objects.exists()


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
            roster = await roster_until(watch, lambda m, n=n: m["count"] == n + 1)
            assert roster["learners"][-1]["name"] == f"Learner {n}"
        for server in (b, a, b):  # 3 unknown codes from one address, counted by both
            async with Browser(server, address=address) as guesser:
                assert (await guesser.call("GET", "/api/classes/ZZZZ-ZZZZ"))[0] == 404
        async with Browser(a, address=address) as late:
            status, body = await late.join(code, "One Too Many")
        assert status == 429 and "at most 3 in 3,600 s" in body["error"]
        await watch.close()
