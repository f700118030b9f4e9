"""RunConsumer: a run's events over a websocket, stored ones first, then live.

    connect(?after=N) -> accept -> [task] join group "run-<id>" (and the feed, feed.py, when
                         the channel layer does not cross processes), replay seq > N from the database
                         (one read and its frames for the sockets opening together, replays.py)
    a batch: group message "run.events", or handed by the feed (feed.py)
                      -> held while replaying, then sent once each, in seq order
    while the run is queued -> {"type": "queue", "place", "eta_s"} whenever it changes (waiting.py)

Joining the group before reading the database means every event is either in
what we read or in what arrives live; `self.last` drops the overlap, and a gap
in a live batch (a message the channel layer dropped) is filled from the
database, where every event is stored before it is sent.
"""

import asyncio
import json
import time
import uuid
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from playground.events import RUN_FINISHED
from playground.runs.eventstore import events_after, group_name
from playground.runs.feed import SharedBatch, feed, feed_needed
from playground.runs.models import Event, Run
from playground.runs.replays import frame_text, replays
from playground.runs.waiting import line

MAX_MESSAGE_BYTES = 1024  # the client only ever sends {"type": "ping"}
MAX_AFTER = 2**63 - 1  # SQLite's largest integer: the replay query cannot compare a larger one
CLOSE_BAD_REQUEST = 4400
CLOSE_NOT_FOUND = 4404


class RunConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.last = -1
        self.replaying = True
        self.pending: list[dict] = []
        self.lock = asyncio.Lock()
        self.group = None
        self.replay_task = None
        self.queue_task = None
        self.fed = False  # watched through the feed (feed.py)
        self.replay = None  # its stored events, shared (replays.py)
        self.closing = False  # set once we close: what we would send after that has no reader
        try:
            run_id = uuid.UUID(self.scope["url_route"]["kwargs"]["run_id"])
            after = self._parse_after()
        except ValueError as exc:
            return await self._refuse(str(exc) or "bad run id", CLOSE_BAD_REQUEST)
        self.run_id, self.last = run_id, after
        self.group = group_name(run_id)
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
        if self.fed:
            feed().unwatch(self.run_id, self.run_batch)
        if self.replay is not None:
            replays().close(self.replay)
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _replay(self):
        # Join before reading: an event stored after the read is then sent live.
        await self.channel_layer.group_add(self.group, self.channel_name)
        if await feed_needed(self.run_id):
            self.fed = True
            await feed().watch(self.run_id, self.run_batch)
        checked = time.monotonic()
        self.replay = replays().open(self.run_id)
        status, held, beyond = await self.replay.read()  # one read for the sockets opening with this one
        if status is None:
            return await self._refuse_message(f"unknown run {self.run_id}", CLOSE_NOT_FOUND)
        stored = self.replay.events[held - 1 : held] + beyond  # its last events, as read
        async with self.lock:
            for text, last in self.replay.frames(self.last, held):
                await self._send_frame(text, last)
            await self._send_events([e for e in beyond if e["seq"] > self.last])
            if status not in Run.ACTIVE and not await self._end_stored(stored):
                # Its events could not all be stored, nor its end (lifecycle._run_close):
                # say so, rather than leave the page waiting for an end that never comes.
                return await self._refuse_message(f"this run ended {status}, but its end could not be recorded")
            self.replaying = False
            pending, self.pending = self.pending, []
            await self._send_fresh(pending)
        if status == Run.Status.QUEUED:
            # Queued when its status was read: a snapshot of the line read after that holds it.
            job = self.replay.job
            self.queue_task = asyncio.get_running_loop().create_task(self._report_queue(job, checked))

    async def _report_queue(self, job, since: float):
        """Tell the page its place in line while the run waits for a worker."""
        told = None
        while self.last < 0 and not self.closing:
            report = await line().report(job, since)
            if report is None or self.last >= 0:
                return  # started or ended: its events say so
            if report != told:
                await self.send(text_data=json.dumps(report))
                told = report
            await asyncio.sleep(settings.QUEUE_REPORT_INTERVAL_S)

    async def _end_stored(self, replayed: list[dict]) -> bool:
        if replayed and replayed[-1]["type"] == RUN_FINISHED:
            return True
        return await Event.objects.filter(run_id=self.run_id, data__type=RUN_FINISHED).aexists()

    async def run_events(self, message):
        """Group message from the run's Recorder (or a sweep, a cancel): one batch of events."""
        await self.run_batch(message["events"])

    async def run_batch(self, batch: list[dict]):
        """One batch of the run's events, in seq order: from the group, or from the feed."""
        if self.replaying:
            self.pending.extend(batch)
            return
        await self._deliver(batch)

    async def _deliver(self, batch: list[dict]):
        async with self.lock:
            await self._send_fresh(batch)

    async def _send_fresh(self, batch: list[dict]):
        """Send what is new in `batch`, first filling any gap from the database."""
        # Batches come in seq order, so anything but last+1, last+2, ... (a gap, or a
        # repeat) is answered from the database, where every event is stored first.
        fresh = [e for e in batch if e["seq"] > self.last]
        if fresh and fresh[-1]["seq"] - self.last != len(fresh):
            fresh = await sync_to_async(events_after)(
                run_id=self.run_id, after=self.last, limit=fresh[-1]["seq"] - self.last
            )
        elif len(fresh) == len(batch) and isinstance(batch, SharedBatch):
            return await self._send_events(batch, frames=batch.frames)  # all of it: the frames other sockets made
        await self._send_events(fresh)

    async def _send_events(self, batch: list[dict], *, frames: dict[int, str] | None = None):
        step = settings.EVENT_BATCH_MAX
        for k in range(0, len(batch), step):
            chunk = batch[k : k + step]
            text = frames.get(k) if frames is not None else None
            if text is None:
                text = frame_text(chunk)
                if frames is not None:
                    frames[k] = text
            await self._send_frame(text, chunk[-1]["seq"])

    async def _send_frame(self, text: str, last: int):
        await self.send(text_data=text)
        self.last = last

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
        await self.send(text_data=json.dumps({"type": "pong", "last": self.last}))

    async def _refuse_message(self, error: str, code: int = CLOSE_BAD_REQUEST):
        await self.send(text_data=json.dumps({"type": "error", "error": error}))
        self.closing = True
        await self.close(code=code)
