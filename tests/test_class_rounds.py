"""Rounds of guesses through a real Daphne: who may open, guess, lock and reveal, bad input, the
states a round goes through; the closest guesses and CSV cells. The whole round on every socket,
to the reveal: test_class_reveal.py.

The module's Daphne (rounds_server, tests/support/rounds.py) has a Redis channel layer: a round is
locked by rounds.round_lock, called as the stage calls it, from a process of its own, whose
messages reach the server's sockets through Redis. Runs are launched by the teacher through
POST /api/runs.
"""

import pytest

from playground.classes.models import Guess, Learner, Round
from playground.classes.rounds import csv_safe, reveal_of
from tests.support.classes import Browser, message_until
from tests.support.rounds import lock_round
from tests.support.wsclient import collect_run

SLOW = {"strategy": "gather", "requests": 2, "latency_ms": 30_000}  # cancelled long before it ends
ONLY_TEACHER = "Only this class's teacher may do that (the browser that started the class)."
ONLY_LEARNERS = "Only learners in this class guess"


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
