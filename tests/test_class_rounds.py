"""Rounds of guesses through a real Daphne: open, guess, lock on a run, reveal; refusals; history and CSV.

The module's Daphne has a Redis channel layer: a round is locked by rounds.round_lock, called as
the stage calls it, from a process of its own (tests/support/rounds.py), whose messages reach the
server's sockets through Redis. Runs are launched by the teacher through POST /api/runs.
"""

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from playground.classes.models import Guess, Learner, Round
from playground.classes.rounds import csv_safe, reveal_of
from tests.support.classes import Browser, message_until, next_message
from tests.support.fuzzing import assert_no_server_errors
from tests.support.rounds import lock_round, start_rounds_daphne
from tests.support.servers import stop
from tests.support.wsclient import collect_run

QUICK = {"strategy": "gather", "requests": 3, "latency_ms": 100}  # done in ~0.1 s
SLOW = {"strategy": "gather", "requests": 2, "latency_ms": 30_000}  # cancelled long before it ends
ONLY_TEACHER = "Only this class's teacher may do that (the browser that started the class)."
ONLY_LEARNERS = "Only learners in this class guess"


@pytest.fixture(scope="module")
def rounds_server(demo_api, redis_url):
    tmp = Path(tempfile.mkdtemp(prefix="playground-rounds-"))
    proc, srv = start_rounds_daphne(tmp, demo_api.url, redis_url)
    srv.redis = redis_url
    yield srv
    stop(proc)
    assert_no_server_errors(srv.log.read_text())  # every refusal was an answer, never a 500
    shutil.rmtree(tmp, ignore_errors=True)


def counts(message: dict) -> int | None:
    return message["round"]["guesses"] if message["type"] == "class.round" else None


def numbers_in(value) -> list[int]:
    """Every integer anywhere in a message."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


# --- Pure: closest guesses, CSV cells ----------------------------------------------------------


def test_the_closest_guesses_are_marked_ties_all_of_them():
    round_ = Round(number=2, wall_ms=500, ideal_ms=450)
    guesses = [Guess(learner_id=n, guess_ms=ms) for n, ms in [(1, 400), (2, 600), (3, 499 + 2), (4, 9000)]]
    revealed = reveal_of(round_, guesses, names=False)
    assert [g["closest"] for g in revealed["guesses"]] == [False, False, True, False]
    guesses[2].guess_ms = 700
    revealed = reveal_of(round_, guesses, names=False)
    assert [g["closest"] for g in revealed["guesses"]] == [True, True, False, False]  # 100 ms off, both
    assert revealed["wall_ms"] == 500 and revealed["ideal_ms"] == 450 and revealed["round"] == 2
    assert all(set(g) == {"guess_ms", "closest"} for g in revealed["guesses"])  # no name, no learner id
    for g in guesses:
        g.learner = Learner(id=g.learner_id, name=f"L{g.learner_id}")
    assert [g["name"] for g in reveal_of(round_, guesses, names=True)["guesses"]] == ["L1", "L2", "L3", "L4"]


@pytest.mark.parametrize(
    "name,cell", [("=1+2", "'=1+2"), ("+A", "'+A"), ("-1", "'-1"), ("@SUM", "'@SUM"), ("Ada", "Ada"), ("a=b", "a=b")]
)
def test_a_name_that_starts_like_a_formula_gets_an_apostrophe_in_csv(name, cell):
    assert csv_safe(name) == cell


# --- Only the teacher teaches, only learners guess --------------------------------------------------

TEACHER_ACTIONS = [
    ("POST", "/api/classes/{code}/rounds", {}),
    ("POST", "/api/classes/{code}/reveal", None),
    ("GET", "/api/classes/{code}/rounds", None),
    ("GET", "/api/classes/{code}/rounds.csv", None),
]


@pytest.mark.parametrize("who", ["learner", "stranger", "cookieless"])
@pytest.mark.parametrize("method,path,body", TEACHER_ACTIONS, ids=[f"{m} {p[21:]}" for m, p, _ in TEACHER_ACTIONS])
async def test_teacher_actions_are_refused_to_anyone_else(rounds_server, who, method, path, body):
    async with Browser(rounds_server) as teacher, Browser(rounds_server) as learner:
        code = (await teacher.create_class())["code"]
        assert (await learner.join(code, "Curious Yak"))[0] == 201
        async with Browser(rounds_server, cookies=who != "cookieless") as stranger:
            caller = learner if who == "learner" else stranger
            status, answer, _ = await caller.call(method, path.format(code=code), body)
        assert status == 403 and answer["error"] == ONLY_TEACHER, answer
        status, history, _ = await teacher.call("GET", f"/api/classes/{code}/rounds")
        assert status == 200 and history == {"rounds": []}  # nothing opened


@pytest.mark.parametrize("who", ["teacher", "stranger", "cookieless"])
async def test_guesses_are_refused_to_the_teacher_and_strangers(rounds_server, who):
    async with Browser(rounds_server) as teacher:
        code = (await teacher.create_class())["code"]
        assert (await teacher.call("POST", f"/api/classes/{code}/rounds", {}))[0] == 201
        async with Browser(rounds_server, cookies=who != "cookieless") as stranger:
            caller = teacher if who == "teacher" else stranger
            status, answer, _ = await caller.call("POST", f"/api/classes/{code}/guesses", {"guess_ms": 500})
        assert status == 403 and answer["error"].startswith(ONLY_LEARNERS), answer
        _, history, _ = await teacher.call("GET", f"/api/classes/{code}/rounds")
        assert history["rounds"][0]["guesses"] == 0


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,field,text",
    [
        ({"guess_ms": 0}, "guess_ms", "from 1 to 600,000 (10 minutes)"),
        ({"guess_ms": 600_001}, "guess_ms", "from 1 to 600,000"),
        ({"guess_ms": "800"}, "guess_ms", "whole number of milliseconds"),
        ({"guess_ms": 1.5}, "guess_ms", "whole number of milliseconds"),
        ({"guess_ms": True}, "guess_ms", "whole number of milliseconds"),
        ({"guess_ms": None}, "guess_ms", "Required."),
        ({}, "guess_ms", "Required."),
        ({"guess_ms": 5, "name": "x"}, "name", "Unknown field; allowed fields: guess_ms."),
        ([500], "__all__", "The body must be a JSON object with the fields: guess_ms."),
    ],
)
async def test_bad_guesses_get_400_naming_the_field_and_its_range(rounds_server, body, field, text):
    async with Browser(rounds_server) as teacher, Browser(rounds_server) as learner:
        code = (await teacher.create_class())["code"]
        assert (await learner.join(code, "Eager Ibis"))[0] == 201
        assert (await teacher.call("POST", f"/api/classes/{code}/rounds", {}))[0] == 201
        status, answer, _ = await learner.call("POST", f"/api/classes/{code}/guesses", body)
        assert status == 400 and any(text in m for m in answer["errors"][field]), answer


@pytest.mark.parametrize(
    "body,field,text",
    [
        ({"spec": {"strategy": "nope"}}, "spec.strategy", "Unknown strategy; choose one of: sequential, gather"),
        ({"spec": {"strategy": "gather", "requests": 0}}, "spec.requests", "Must be between 1 and 10,000."),
        ({"spec": {"strategy": "semaphore", "requests": 5}}, "spec.limit", "Required by the semaphore strategy."),
        ({"spec": 3}, "spec", "A run spec as POST /api/runs takes it"),
        ({"spec": {"strategy": "gather"}, "runs": 1}, "runs", "Unknown field; allowed fields: spec."),
        ("gather", "__all__", "The body must be a JSON object with the fields: spec."),
    ],
)
async def test_bad_round_specs_get_400_naming_the_field(rounds_server, body, field, text):
    async with Browser(rounds_server) as teacher:
        code = (await teacher.create_class())["code"]
        status, answer, _ = await teacher.call("POST", f"/api/classes/{code}/rounds", body)
        assert status == 400 and any(text in m for m in answer["errors"][field]), answer


# --- States --------------------------------------------------------------------------------------


async def test_409_until_a_round_is_open_locked_and_its_run_finished(rounds_server):
    srv = rounds_server
    async with Browser(srv) as teacher, Browser(srv) as learner:
        code = (await teacher.create_class())["code"]
        api = f"/api/classes/{code}"
        assert (await learner.join(code, "Steady Tapir"))[0] == 201
        status, answer, _ = await learner.call("POST", f"{api}/guesses", {"guess_ms": 700})
        assert status == 409 and answer["error"] == "No round is open: wait for your teacher to open one."
        status, answer, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 409 and "Nothing to reveal: no round yet." in answer["error"]

        status, opened, _ = await teacher.call("POST", f"{api}/rounds", {"spec": SLOW})
        assert status == 201 and opened["state"] == "open" and opened["number"] == 1
        assert opened["spec"]["latency_ms"] == 30_000 and opened["spec"]["seed"] is not None  # stored form
        status, answer, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 409 and "round 1 is still open" in answer["error"]
        status, guessed, _ = await learner.call("POST", f"{api}/guesses", {"guess_ms": 700})
        assert status == 201 and guessed == {"round": {**opened, "guesses": 1}, "guess_ms": 700}
        status, changed, _ = await learner.call("POST", f"{api}/guesses", {"guess_ms": 900.0})  # JSON: an integer
        assert status == 200 and changed["guess_ms"] == 900 and changed["round"]["guesses"] == 1

        run_id = await teacher.start_run(SLOW)
        assert await lock_round(srv, srv.redis, code, run_id) == "1"
        assert await lock_round(srv, srv.redis, code, run_id) == "none"  # locked once
        status, answer, _ = await learner.call("POST", f"{api}/guesses", {"guess_ms": 800})
        assert status == 409 and "Round 1 is locked" in answer["error"]
        status, answer, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 409 and answer["error"] in (
            "The run is still queued: reveal once it has finished.",
            "The run is still running: reveal once it has finished.",
        )
        assert (await teacher.call("POST", f"/api/runs/{run_id}/cancel"))[0] == 202
        await collect_run(srv, run_id)
        status, answer, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 409 and "The run ended cancelled, without a wall time to reveal" in answer["error"]

        _, history, _ = await teacher.call("GET", f"{api}/rounds")
        (only,) = history["rounds"]
        assert only["state"] == "locked" and only["run"] == run_id and only["revealed"] is None
        assert only["entries"] == [
            {
                "learner": only["entries"][0]["learner"],
                "name": "Steady Tapir",
                "guess_ms": 900,
                "error_ms": None,
                "closest": False,
                "removed": False,
            }
        ]


async def test_a_new_round_replaces_an_open_one_and_clears_every_guess(rounds_server):
    async with Browser(rounds_server) as teacher, Browser(rounds_server) as learner:
        code = (await teacher.create_class())["code"]
        api = f"/api/classes/{code}"
        assert (await learner.join(code, "Tidy Owl"))[0] == 201
        ws = await learner.socket(code)
        seen: list[dict] = []
        hello = await message_until(ws, "class.hello", seen=seen)
        assert hello["round"] is None and hello["reveal"] is None
        assert (await teacher.call("POST", f"{api}/rounds", {}))[0] == 201
        assert (await learner.call("POST", f"{api}/guesses", {"guess_ms": 1234}))[0] == 201
        mine = await message_until(ws, "class.round", lambda m: m.get("mine") == 1234, seen=seen)
        assert mine["round"] == {"number": 1, "state": "open", "spec": None, "guesses": 1, "run": None}
        status, second, _ = await teacher.call("POST", f"{api}/rounds", {})
        assert status == 201 and second["number"] == 2 and second["guesses"] == 0
        fresh = await message_until(ws, "class.round", lambda m: m["round"]["number"] == 2, seen=seen)
        assert fresh == {"type": "class.round", "round": second, "mine": None}
        _, history, _ = await teacher.call("GET", f"{api}/rounds")
        states = [(r["number"], r["state"], r["guesses"]) for r in history["rounds"]]
        assert states == [(1, "replaced", 1), (2, "open", 0)]
        status, again, _ = await learner.call("POST", f"{api}/guesses", {"guess_ms": 50})
        assert status == 201 and again["round"]["number"] == 2  # a new round: a first guess again
        await ws.close()


# --- A whole round, on every socket ---------------------------------------------------------------


async def test_a_round_from_guesses_to_reveal_on_every_socket_without_a_leak(rounds_server):
    srv = rounds_server
    names = ["Ada Lovelace", "Bo Diddley", "-1 Sneaky"]
    guesses = [311, 4_567, 98_765]
    async with (
        Browser(srv) as teacher,
        Browser(srv) as a,
        Browser(srv) as b,
        Browser(srv) as c,
    ):
        learners = [a, b, c]
        code = (await teacher.create_class())["code"]
        api = f"/api/classes/{code}"
        ids = [(await x.join(code, name))[1]["id"] for x, name in zip(learners, names, strict=True)]
        watch = await teacher.socket(code)
        sockets = [await x.socket(code) for x in learners]
        seen: list[list[dict]] = [[] for _ in learners]
        teacher_seen: list[dict] = []
        await message_until(watch, "class.hello", seen=teacher_seen)
        for ws, got in zip(sockets, seen, strict=True):
            await message_until(ws, "class.hello", seen=got)

        status, opened, _ = await teacher.call("POST", f"{api}/rounds", {"spec": QUICK})
        assert status == 201
        for x, ms in zip(learners, guesses, strict=True):
            assert (await x.call("POST", f"{api}/guesses", {"guess_ms": ms * 2}))[0] == 201
            assert (await x.call("POST", f"{api}/guesses", {"guess_ms": ms}))[0] == 200  # changed its mind
        counted = await message_until(watch, "class.round", lambda m: m["round"]["guesses"] == 3, seen=teacher_seen)
        assert counted["round"]["state"] == "open" and "mine" not in counted
        assert counted["guessed"] == [{"id": i, "name": name} for i, name in zip(ids, names, strict=True)]  # not what
        for ws, got, ms in zip(sockets, seen, guesses, strict=True):  # the count, and the learner's own guess
            while not (any(m.get("mine") == ms for m in got) and any(counts(m) == 3 for m in got)):
                await message_until(ws, "class.round", seen=got)

        run_id = await teacher.start_run(QUICK)
        assert await lock_round(srv, srv.redis, code, run_id) == "1"
        locked = await message_until(watch, "class.round", lambda m: m["round"]["state"] == "locked", seen=teacher_seen)
        assert locked["round"] == {**opened, "state": "locked", "guesses": 3, "run": run_id}
        for ws, got in zip(sockets, seen, strict=True):
            assert (await message_until(ws, "class.round", lambda m: m["round"]["state"] == "locked", seen=got))[
                "round"
            ]["run"] == run_id
        events = await collect_run(srv, run_id)
        wall_ms = round(events[-1]["summary"]["wall_s"] * 1000)

        status, revealed, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 200 and revealed["wall_ms"] == wall_ms and revealed["round"] == 1
        assert revealed["ideal_ms"] == round(events[-1]["summary"]["ideal_s"] * 1000)
        assert [(g["guess_ms"], g["learner"], g["name"]) for g in revealed["guesses"]] == list(
            zip(guesses, ids, names, strict=True)
        )
        assert [g["closest"] for g in revealed["guesses"]] == [True, False, False]
        assert (await message_until(watch, "class.reveal", seen=teacher_seen)) == revealed  # the teacher: names
        # The learners' copy, names hidden: no name and no learner id (a page marks its own by "mine").
        anonymous = [{"guess_ms": g["guess_ms"], "closest": g["closest"]} for g in revealed["guesses"]]
        hidden = {**revealed, "guesses": anonymous}
        for n, (ws, got) in enumerate(zip(sockets, seen, strict=True)):
            assert (await message_until(ws, "class.reveal", seen=got)) == hidden
            # Before the reveal: counts and this learner's own guess, never another's.
            others = {ms for m, ms in enumerate(guesses) if m != n} | {2 * ms for m, ms in enumerate(guesses) if m != n}
            before = got[:-1]
            assert all(not set(numbers_in(m)) & others for m in before), before
            assert not any(name in json.dumps(m) for m in before for name in names[:n] + names[n + 1 :])
            assert {m["type"] for m in before} <= {"class.hello", "class.roster", "class.round"}
            assert not any("guessed" in m for m in before)  # who has guessed: the teacher's

        # Names shown: the reveal goes to the learners again, with names and ids; a reveal again says the same.
        assert (await teacher.call("PATCH", api, {"show_names": True}))[0] == 200
        for ws, got in zip(sockets, seen, strict=True):
            mark = len(got)
            assert (await message_until(ws, "class.reveal", seen=got)) == revealed
            # The stage shows the teacher's run: no name in it, nothing to send again.
            assert [m["type"] for m in got[mark:]].count("class.stage") == 0
        status, again, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 200 and again == revealed
        for ws, got in zip(sockets, seen, strict=True):
            assert (await message_until(ws, "class.reveal", seen=got)) == revealed
        status, answer, _ = await a.call("POST", f"{api}/guesses", {"guess_ms": 5})
        assert status == 409

        # A page that opens now is greeted with the round and its reveal.
        late = await b.socket(code)
        hello = await next_message(late)
        assert hello["round"]["state"] == "revealed" and hello["reveal"] == revealed and hello["mine"] == guesses[1]
        assert (await teacher.call("PATCH", api, {"show_names": False}))[0] == 200
        for ws, got in zip(sockets, seen, strict=True):  # hidden after the reveal: sent again without names
            assert (await message_until(ws, "class.reveal", seen=got)) == hidden
        unnamed, named = await c.socket(code), await teacher.socket(code)
        hidden_hello, teacher_hello = await next_message(unnamed), await next_message(named)
        assert hidden_hello["reveal"] == hidden and hidden_hello["mine"] == guesses[2]
        assert teacher_hello["reveal"] == revealed and "mine" not in teacher_hello  # the teacher: names, always
        for ws in (watch, late, unnamed, named, *sockets):
            await ws.close()

        # History and CSV: every guess with its learner's name, the wall time, how far off.
        status, history, _ = await teacher.call("GET", f"{api}/rounds")
        (one,) = history["rounds"]
        assert one["state"] == "revealed" and one["wall_ms"] == wall_ms and one["revealed"] is not None
        assert [(e["name"], e["guess_ms"], e["error_ms"], e["closest"]) for e in one["entries"]] == [
            (name, ms, ms - wall_ms, n == 0) for n, (name, ms) in enumerate(zip(names, guesses, strict=True))
        ]
        status, _, headers = await teacher.call("GET", f"{api}/rounds.csv")
        assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
        assert headers["Content-Disposition"] == f'attachment; filename="class-{code}-rounds.csv"'
        async with teacher.http.get(srv.base + f"{api}/rounds.csv") as r:
            rows = list(csv.reader(io.StringIO(await r.text())))
        ideal = str(one["ideal_ms"])
        assert rows == [
            ["round", "learner", "guess_ms", "wall_ms", "ideal_ms", "error_ms"],
            ["1", "Ada Lovelace", "311", str(wall_ms), ideal, str(311 - wall_ms)],
            ["1", "Bo Diddley", "4567", str(wall_ms), ideal, str(4567 - wall_ms)],
            ["1", "'-1 Sneaky", "98765", str(wall_ms), ideal, str(98765 - wall_ms)],
        ]


async def test_a_removed_learner_leaves_the_count_the_guessed_list_and_the_reveal(rounds_server):
    srv = rounds_server
    async with Browser(srv) as teacher, Browser(srv) as kept, Browser(srv) as rude:
        code = (await teacher.create_class())["code"]
        api = f"/api/classes/{code}"
        kept_id = (await kept.join(code, "Kind Heron"))[1]["id"]
        rude_id = (await rude.join(code, "RudeName"))[1]["id"]
        assert (await teacher.call("POST", f"{api}/rounds", {"spec": QUICK}))[0] == 201
        assert (await rude.call("POST", f"{api}/guesses", {"guess_ms": 100}))[0] == 201  # nearest, surely
        assert (await kept.call("POST", f"{api}/guesses", {"guess_ms": 99_000}))[0] == 201
        assert (await teacher.call("DELETE", f"{api}/learners/{rude_id}"))[0] == 204

        watch = await teacher.socket(code)
        hello = await next_message(watch)
        assert hello["round"]["guesses"] == 1 and hello["guessed"] == [{"id": kept_id, "name": "Kind Heron"}]
        assert (await kept.call("POST", f"{api}/guesses", {"guess_ms": 98_000}))[0] == 200
        changed = await message_until(watch, "class.round")
        assert changed["round"]["guesses"] == 1 and changed["guessed"] == [{"id": kept_id, "name": "Kind Heron"}]

        run_id = await teacher.start_run(QUICK)
        assert await lock_round(srv, srv.redis, code, run_id) == "1"
        locked = await message_until(watch, "class.round", lambda m: m["round"]["state"] == "locked")
        assert locked["round"]["guesses"] == 1 and [g["id"] for g in locked["guessed"]] == [kept_id]
        await collect_run(srv, run_id)
        status, revealed, _ = await teacher.call("POST", f"{api}/reveal")
        assert status == 200, revealed
        assert [(g["learner"], g["name"], g["closest"]) for g in revealed["guesses"]] == [(kept_id, "Kind Heron", True)]
        assert (await message_until(watch, "class.reveal")) == revealed
        await watch.close()

        # The teacher's history keeps the removed learner's guess, marked.
        _, history, _ = await teacher.call("GET", f"{api}/rounds")
        (one,) = history["rounds"]
        assert one["guesses"] == 1
        assert [(e["name"], e["closest"], e["removed"]) for e in one["entries"]] == [
            ("RudeName", False, True),
            ("Kind Heron", True, False),
        ]
        async with teacher.http.get(srv.base + f"{api}/rounds.csv") as r:
            rows = list(csv.reader(io.StringIO(await r.text())))
        assert [row[:3] for row in rows[1:]] == [["1", "RudeName (removed)", "100"], ["1", "Kind Heron", "98000"]]
