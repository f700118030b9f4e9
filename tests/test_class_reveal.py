"""A whole round through a real Daphne, on every socket: guesses, the lock on a run, the reveal
(names only where allowed, never another learner's guess before it), a removed learner's guess;
the teacher's history and CSV.

The module's Daphne (rounds_server, tests/support/rounds.py) has a Redis channel layer: rounds are
locked from a process of their own (lock_round), as the stage locks them.
"""

import csv
import io
import json

from tests.support.classes import Browser, message_until, next_message
from tests.support.rounds import lock_round
from tests.support.wsclient import collect_run

QUICK = {"strategy": "gather", "requests": 3, "latency_ms": 100}  # done in ~0.1 s


def counts(message: dict) -> int | None:
    return message["round"]["guesses"] if message["type"] == "class.round" else None


def numbers_in(value) -> list[int]:
    """Every integer anywhere in a message."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


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
        kept_ws = await kept.socket(code)
        assert (await next_message(kept_ws))["type"] == "class.hello"
        assert (await teacher.call("POST", f"{api}/rounds", {"spec": QUICK}))[0] == 201
        # Each count seen before the next guess: no count is still to be sent (folding.py) when the removal comes.
        assert (await rude.call("POST", f"{api}/guesses", {"guess_ms": 100}))[0] == 201  # nearest, surely
        await message_until(kept_ws, "class.round", lambda m: m["round"]["guesses"] == 1)
        assert (await kept.call("POST", f"{api}/guesses", {"guess_ms": 99_000}))[0] == 201
        await message_until(kept_ws, "class.round", lambda m: m["round"]["guesses"] == 2)
        assert (await teacher.call("DELETE", f"{api}/learners/{rude_id}"))[0] == 204
        # Open pages are told at once, not at the next guess.
        told = await message_until(kept_ws, "class.round", lambda m: m["round"]["guesses"] == 1)
        assert told["round"]["state"] == "open" and "guessed" not in told
        await kept_ws.close()

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
