"""ClassConsumer: a class's live socket, /ws/classes/<code>/, for its teacher and its learners.

    connect -> accept -> [task] find the class (error + close: 4400 not a code, 4404, 4410 ended,
                                                 4429 too many unknown codes from the address),
               who is this browser (its session): teacher, learner, else error + close 4403
    teacher:  joins class-<code>-teacher     <- {"type": "class.hello", "teacher": true, "class": {...}}
                                             <- {"type": "class.roster", "rev", "count",
                                                 "learners": [{id, name, joined}]}
              counted on the class's watcher <- {"type": "class.gallery", "cards": [...]} now and at each change
                                                (gallery.gallery_join: one per class in this process; left at
                                                the close); not with ?view=projector (the projector: no cards)
    learner:  joins class-<code>-learners    <- {"type": "class.hello", "teacher": false, "you": {id, name, joined},
                                                 "class": {...}}
              and class-<code>-learner-<id>  <- {"type": "class.roster", "rev", "count", "show_names"} (names only
                                                if the teacher shows them)
                                             <- {"type": "class.removed", "message"} then close 4403
    anyone: the runs on stage (stage.py)     <- {"type": "class.stage", "rev", "runs", "load"} (and the hello's "stage")
            each run on it, followed on this  <- {"type": "stage.events", "run", "events"}: from its first event,
            socket (follow.RunFollow), only      then live, each once, in seq order (again after a reconnect)
            while it is on stage             <- {"type": "stage.queue", "run", "place", "eta_s"} while it waits
                                             <- {"type": "stage.error", "run", "error"}: it cannot be followed
    anyone, at the class's end               <- {"type": "class.ended", "message"} then close 4410
    a failure in the socket's own task (finding the class, the end): logged, then close 4500
    client -> {"type": "ping"} -> {"type": "pong"}; anything else: {"type": "error", "error"} naming it, close 4400

The hello is always a socket's first message: group messages that come before it (the groups
are joined before the roster is read) are held, then handled in order after it; one that comes
while they are handed on is held behind them (a live "locked" never overtaken by a held "open").

Group messages are named by their type (channels: "class.roster" -> class_roster). What a socket
may see is decided by the groups it joins (services.py): a learner's socket is never in the
teacher's group, so names it may not see never reach it. Rosters carry `rev`; an older one than
the socket last sent (a late group message) is dropped; so is following an older stage.

Every page of a class follows the stage on this socket, rather than each opening the run's own
socket: a class of 100 opening 100 run sockets at once, on every stage run, cost Daphne more than
the run's events did (bench/classroom.py).
"""

import asyncio
import json
import logging
from collections.abc import Coroutine
from typing import Any
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from playground.classes import gallery, rounds, services, stage
from playground.classes.services import ClassRefused
from playground.runs.follow import EndNotRecorded, RunFollow, stage_head
from playground.runs.models import Run
from playground.sockets import GroupDispatch

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024  # the page only ever sends {"type": "ping"}
CLOSE_BAD_REQUEST = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_GONE = 4410
CLOSE_TOO_MANY = 4429
# A failure of the server's own (a 500): RFC 6455's 1011 would say so, but Daphne (autobahn)
# sends only 1000 and 3000-4999, so the 44xx family's pattern gives 4500.
CLOSE_SERVER_ERROR = 4500
CLOSE_FOR = {400: CLOSE_BAD_REQUEST, 403: CLOSE_FORBIDDEN, 404: CLOSE_NOT_FOUND, 410: CLOSE_GONE, 429: CLOSE_TOO_MANY}


class ClassConsumer(GroupDispatch, AsyncWebsocketConsumer):
    async def connect(self):
        self.groups_joined: list[str] = []
        self.closing = False
        self.rev = -1
        # Group messages that arrive before the hello wait here (None once every one is passed on):
        # the groups are joined before the roster is read, so one can come in between.
        self.held: list[dict] | None = []
        self.releasing: dict | None = None  # the held message being passed on now (not held again)
        self.task: asyncio.Task | None = None
        self.watching: int | None = None  # the class whose gallery watcher this socket counts on (a teacher's)
        # The projector's page (?view=projector) shows the stage: no cards, no watcher for it.
        self.projector = parse_qs(self.scope.get("query_string", b"").decode()).get("view") == ["projector"]
        self.ending: asyncio.TimerHandle | None = None
        # The runs on the stage this socket follows (run id -> its follow and task), and the stage's rev.
        self.follows: dict[str, tuple[RunFollow, asyncio.Task]] = {}
        self.stage_ids: list[str] = []  # the runs followed, in the stage's order
        self.stage_rev = -1
        await self.accept()
        # Daphne completes the handshake when connect() returns: the database waits for the task.
        self._spawn(self._start(self.scope["url_route"]["kwargs"]["code"]))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as the socket's background task; if it fails, log it and close with 4500."""
        self.task = asyncio.get_running_loop().create_task(self._guarded(work))

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            logger.exception("class socket %s: its task failed; closing it (4500)", self.scope["path"])
            self.closing = True
            await self.close(code=CLOSE_SERVER_ERROR)

    async def _start(self, code: str):
        try:
            address = (self.scope.get("client") or ["?"])[0]
            classroom = await services.class_find(code=code, address=address)
        except ClassRefused as exc:
            return await self._refuse(str(exc), CLOSE_FOR[exc.status])
        role = await self._role(classroom)
        if role is None:
            return
        code = classroom.code
        if role.kind == "teacher":
            groups = [services.teacher_group(code)]
        else:
            assert role.learner is not None
            groups = [services.learners_group(code), services.learner_group(code, role.learner.id)]
        # Join before reading: a change after the read comes as a group message.
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        # ... and read the role again: a removal between the first read and joining its group
        # was announced to a group this socket was not yet in.
        role = await self._role(classroom)
        if role is None:
            return
        rev, show, learners = await services.roster_now(classroom=classroom)
        hello: dict = {
            "type": "class.hello",
            "teacher": role.kind == "teacher",
            "class": services.class_public(classroom),
        }
        for part in (stage.stage_hello, rounds.round_hello, gallery.gallery_hello):
            hello.update(await part(classroom=classroom, role=role))
        if role.learner is not None:
            hello["you"] = services.learner_public(role.learner)
            roster = services.roster_for_learners(rev, show, learners)
        else:
            roster = services.roster_for_teacher(rev, learners)
        await self._send_json(hello)
        self.stage_rev = hello["stage"]["rev"]
        self._stage_start([run["id"] for run in hello["stage"]["runs"]])
        await self._release(roster)
        while self.held:  # in the order they came; rosters older than `roster` are dropped
            await self._release(self.held.pop(0))
        self.held = None  # nothing awaited since the last was passed on: the next message goes straight out
        if role.kind == "teacher" and not self.projector:
            gallery.gallery_join(classroom=classroom, group=services.teacher_group(code))
            self.watching = classroom.id
        left = (classroom.expires_at - timezone.now()).total_seconds()
        self.ending = asyncio.get_running_loop().call_later(max(left, 0), self._end_soon)

    async def _role(self, classroom) -> services.Role | None:
        """The browser's role in the class; None once the socket is refused (removed, or a stranger)."""
        session = self.scope.get("session")
        role = await services.class_role(classroom=classroom, visitor=session.get("visitor") if session else None)
        if role.kind == "removed":
            await self._refuse("The teacher removed you from this class.", CLOSE_FORBIDDEN)
            return None
        if role.kind == "stranger":
            await self._refuse("Join the class first: open its page and choose a nickname.", CLOSE_FORBIDDEN)
            return None
        return role

    def _end_soon(self):
        self._spawn(
            self._refuse("This class has ended; ask your teacher for a new code.", CLOSE_GONE, kind="class.ended")
        )

    async def disconnect(self, code):
        if self.task is not None:
            self.task.cancel()
        if self.watching is not None:
            gallery.gallery_leave(classroom_id=self.watching)
            self.watching = None
        if self.ending is not None:
            self.ending.cancel()
        try:
            await self._stage_stop()
        finally:
            for group in self.groups_joined:
                await self.channel_layer.group_discard(group, self.channel_name)

    # --- Group messages (services.py) ---------------------------------------------------------

    async def _release(self, message: dict) -> None:
        """Pass a held message on. A message that comes while a handler awaits is held behind it,
        never sent ahead of it."""
        self.releasing = message
        try:
            await self.dispatch(message)
        finally:
            self.releasing = None

    def _hold(self, message: dict) -> bool:
        """Keep a group message for after the hello and the ones held before it; False after them."""
        if self.held is None or message is self.releasing:
            return False
        self.held.append(message)
        return True

    async def class_roster(self, message: dict):
        if self._hold(message):
            return
        if message["rev"] <= self.rev:
            return  # older than what this socket last sent
        self.rev = message["rev"]
        await self._send_json(message)

    async def class_removed(self, message: dict):
        if self._hold(message):
            return
        await self._refuse("The teacher removed you from this class.", CLOSE_FORBIDDEN, kind="class.removed")

    async def _forward(self, message: dict):
        if not self._hold(message):
            await self._send_json(message)

    # Rounds and the gallery (rounds.py, gallery.py) send to the groups allowed to see each
    # message; the socket passes them on as they are, after the hello.
    class_round = class_reveal = class_paused = _forward

    # --- The stage: its runs' events on this socket -----------------------------------------------

    async def class_stage(self, message: dict):
        """What is on stage now (stage.py). The page's rule (stage-model.js stagePlan): a newer stage with
        other runs, or the same in another order, rebuilds every lane empty; so its runs are followed
        afresh from their first event, after the page hears of it, and the old ones left before."""
        if self._hold(message):
            return
        newer = message["rev"] >= self.stage_rev  # an older one (a late group message): the page drops it too
        ids = [run["id"] for run in message["runs"]]
        changed = newer and ids != self.stage_ids
        if changed:
            await self._stage_stop()
        await self._send_json(message)
        if newer:
            self.stage_rev = message["rev"]
        if changed:
            self._stage_start(ids)

    def _stage_start(self, ids: list[str]) -> None:
        if self.closing:
            return
        self.stage_ids = ids
        for run_id in ids:
            follow = RunFollow(
                run_id,
                after=-1,
                layer=self.channel_layer,
                channel=self.channel_name,
                send=self._send_text,
                head=stage_head(run_id),
            )
            self.follows[run_id] = (follow, asyncio.get_running_loop().create_task(self._follow(follow)))

    async def _stage_stop(self) -> None:
        follows, self.follows, self.stage_ids = self.follows, {}, []
        for _, task in follows.values():
            task.cancel()
        for follow, _ in follows.values():
            await follow.stop()

    async def _follow(self, follow: RunFollow) -> None:
        """A stage run from its first event, then live; its place in line while it waits."""
        run = str(follow.run_id)
        try:
            status = await follow.start()
        except EndNotRecorded as exc:
            return await self._stage_failed(follow, str(exc))
        except Exception:
            logger.exception("class socket %s: following stage run %s failed", self.scope["path"], run)
            return await self._stage_failed(follow, "the server could not follow this run; reload the page")
        if follow.stopped:
            return
        if status is None:
            return await self._stage_failed(follow, f"unknown run {run}")
        if status == Run.Status.QUEUED:
            try:
                await follow.report_queue(lambda report: self._send_json({**report, "type": "stage.queue", "run": run}))
            except Exception:  # the events still come; only its place in line is not told
                logger.exception(
                    "class socket %s: stage run %s's place in line could not be read", self.scope["path"], run
                )

    async def _stage_failed(self, follow: RunFollow, error: str) -> None:
        """Tell the page, and follow the run no more (its lane says why)."""
        run = str(follow.run_id)
        if self.follows.get(run, (None,))[0] is follow:
            del self.follows[run]
        await follow.stop()
        await self._send_json({"type": "stage.error", "run": run, "error": error})

    async def run_events(self, message: dict):
        """A stage run's batch from its group (a channel layer that crosses processes, or a run in this one)."""
        entry = self.follows.get(message.get("run", ""))
        if entry is None:
            return
        try:
            await entry[0].batch(message["events"])
        except Exception:  # a gap the database could not fill: this run's lane, not the whole socket
            logger.exception("class socket %s: stage run %s's events failed", self.scope["path"], message["run"])
            await self._stage_failed(entry[0], "the server could not follow this run; reload the page")

    async def class_gallery(self, message: dict):
        if not self.projector:  # the projector's socket is in the teacher's group, without the cards
            await self._forward(message)

    # --- From the page --------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        if text_data is None:
            return await self._refuse("send text frames of JSON, not binary", CLOSE_BAD_REQUEST)
        if len(text_data) > MAX_MESSAGE_BYTES:
            return await self._refuse(f"message too large: at most {MAX_MESSAGE_BYTES} bytes", CLOSE_BAD_REQUEST)
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            return await self._refuse("message is not a JSON object", CLOSE_BAD_REQUEST)
        if not isinstance(message, dict):
            return await self._refuse("message is not a JSON object", CLOSE_BAD_REQUEST)
        if message.get("type") != "ping":
            return await self._refuse(
                'type: unknown message; the only one accepted is {"type": "ping"}', CLOSE_BAD_REQUEST
            )
        await self._send_json({"type": "pong"})

    async def _send_json(self, message: dict):
        await self._send_text(json.dumps(message))

    async def _send_text(self, text: str):
        if self.closing:
            return
        try:
            await self.send(text_data=text)
        except Disconnected:
            self.closing = True

    async def _refuse(self, text: str, code: int, *, kind: str = "error"):
        await self._send_json({"type": kind, ("error" if kind == "error" else "message"): text})
        self.closing = True
        await self.close(code=code)
