"""RunConsumer: a run's events over a websocket, stored ones first, then live (follow.py does the following).

connect(?after=N) -> accept -> [task] RunFollow.start(): join group "run-<id>" (and the feed),
                     replay seq > N, then live, each once, in seq order
                     frames {"type": "events", "events": [...]}
a batch: group message "run.events" (run_events), or handed by the feed -> RunFollow.batch
while the run is queued -> {"type": "queue", "place", "eta_s"} whenever it changes (waiting.py)
unknown run -> error + close 4404; a run that ended without its end recorded -> error + close 4400
"""

import asyncio
import json
import logging
import uuid
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer

from playground.runs.follow import RUN_HEAD, EndNotRecorded, RunFollow
from playground.runs.models import Run
from playground.sockets import GroupDispatch

MAX_MESSAGE_BYTES = 1024  # the client only ever sends {"type": "ping"}
MAX_AFTER = 2**63 - 1  # SQLite's largest integer: the replay query cannot compare a larger one
CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 4500  # as the class socket's: Daphne sends only 1000 and 3000-4999

logger = logging.getLogger(__name__)


class RunConsumer(GroupDispatch, AsyncWebsocketConsumer):
    async def connect(self):
        self.follow: RunFollow | None = None
        self.replay_task = None
        self.queue_task = None
        self.closing = False  # set once we close: what we would send after that has no reader
        try:
            run_id = uuid.UUID(self.scope["url_route"]["kwargs"]["run_id"])
            after = self._parse_after()
        except ValueError as exc:
            return await self._refuse(str(exc) or "bad run id", CLOSE_BAD_REQUEST)
        self.follow = RunFollow(
            run_id, after=after, layer=self.channel_layer, channel=self.channel_name, send=self._text, head=RUN_HEAD
        )
        await self.accept()
        # Daphne finishes the handshake only when connect() returns, and gives up after
        # 5 s: joining the group (Redis) and reading the database (even whether the run
        # exists) wait for the replay task, so a busy server still completes handshakes.
        self.replay_task = asyncio.get_running_loop().create_task(self._replay())

    def _parse_after(self) -> int:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = query.get("after", ["-1"])[-1]
        try:
            after = int(raw)
        except ValueError:
            raise ValueError(f"after: must be a whole number from -1 up, got {raw[:20]!r}") from None
        if not -1 <= after <= MAX_AFTER:
            raise ValueError(f"after: must be a whole number from -1 up to {MAX_AFTER}, got {raw[:20]!r}")
        return after

    async def _refuse(self, message: str, code: int):
        await self.accept()
        await self._refuse_message(message, code)

    async def disconnect(self, code):
        for task in (self.replay_task, self.queue_task):
            if task is not None:
                task.cancel()
        if self.follow is not None:
            await self.follow.stop()

    async def _replay(self):
        assert self.follow is not None
        try:
            status = await self.follow.start()
        except EndNotRecorded as exc:
            # Rather than leave the page waiting for an end that never comes.
            return await self._refuse_message(str(exc))
        except Exception:
            # A database that failed: close without an error message, so the page reconnects (socket.js).
            logger.exception("run socket %s: its replay failed; closing it (4500)", self.follow.run_id)
            self.closing = True
            return await self.close(code=CLOSE_SERVER_ERROR)
        if status is None:
            return await self._refuse_message(f"unknown run {self.follow.run_id}", CLOSE_NOT_FOUND)
        if status == Run.Status.QUEUED:
            # Queued when its status was read: a snapshot of the line read after that holds it.
            self.queue_task = asyncio.get_running_loop().create_task(self.follow.report_queue(self._json))

    async def run_events(self, message):
        """Group message from the run's Recorder (or a sweep, a cancel): one batch of events."""
        if self.follow is not None:
            await self.follow.batch(message["events"])

    async def _text(self, text: str):
        await self.send(text_data=text)

    async def _json(self, message: dict):
        await self.send(text_data=json.dumps(message))

    async def send(self, text_data=None, bytes_data=None, close=False):
        """Send, unless the socket is closed (by us, or by a client that left mid-replay)."""
        if self.closing:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Disconnected:
            self.closing = True

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:  # it crossed our close on the wire
            return
        if bytes_data is not None or text_data is None:
            return await self._refuse_message("send text frames of JSON, not binary")
        if len(text_data) > MAX_MESSAGE_BYTES:
            return await self._refuse_message(f"message too large: at most {MAX_MESSAGE_BYTES} bytes")
        try:
            message = json.loads(text_data)
        except ValueError:
            return await self._refuse_message("message is not valid JSON")
        except RecursionError:  # json recurses once per bracket: 1,024 of them overflow the stack
            return await self._refuse_message("message is nested too deeply")
        if not isinstance(message, dict) or message.get("type") != "ping":
            return await self._refuse_message('unknown message; the only one accepted is {"type": "ping"}')
        await self.send(text_data=json.dumps({"type": "pong", "last": self.follow.last if self.follow else -1}))

    async def _refuse_message(self, error: str, code: int = CLOSE_BAD_REQUEST):
        await self.send(text_data=json.dumps({"type": "error", "error": error}))
        self.closing = True
        await self.close(code=code)
