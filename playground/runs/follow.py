"""RunFollow: one socket following one run -- its stored events first, then live, each once, in seq order.

    start()  join the group "run-<id>" (and the feed, feed.py, when the channel layer does not cross
             processes), then replay seq > after (replays.py: one read and its frames for the sockets
             opening together), then the live batches that came meanwhile
    batch()  a live batch (a group message "run.events", or handed by the feed): what is new is sent;
             a gap (a message the channel layer dropped) is filled from the database first
    stop()   leave the group, the feed and the replay

Joining before reading means every event is either in what was read or in what arrives live;
`last` drops the overlap. Every event is stored before it is sent, so the database answers gaps.

Two sockets follow runs: RunConsumer (/ws/runs/<id>/, frames {"type": "events", "events": [...]})
and ClassConsumer, for the runs on a class's stage (frames {"type": "stage.events", "run": id,
"events": [...]}): `head` is a frame's text up to its events, so frames are made once for every
socket of the process that sends the same.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from django.conf import settings

from playground.events import RUN_FINISHED
from playground.runs import reader
from playground.runs.eventstore import events_after, group_name
from playground.runs.feed import SharedBatch, feed, feed_needed
from playground.runs.models import Event, Run
from playground.runs.replays import Replay, frame_text, replays
from playground.runs.waiting import line

RUN_HEAD = '{"type":"events","events":'


def stage_head(run_id) -> str:
    return f'{{"type":"stage.events","run":"{run_id}","events":'


class EndNotRecorded(Exception):
    """The run ended, but its events could not all be stored, nor its end (lifecycle._run_close)."""

    def __init__(self, status: str):
        super().__init__(f"this run ended {status}, but its end could not be recorded")


class RunFollow:
    def __init__(self, run_id, *, after: int, layer, channel: str, send: Callable[[str], Awaitable[None]], head: str):
        self.run_id, self.last, self.head = run_id, after, head
        self.layer, self.channel, self.send = layer, channel, send
        self.group = group_name(run_id)
        self.replaying = True
        self.pending: list[dict] = []
        self.lock = asyncio.Lock()
        self.joined = self.fed = self.stopped = False
        self.replay: Replay | None = None
        self.checked = 0.0  # time.monotonic() just before the status was read

    async def start(self) -> str | None:
        """Join, replay, go live; the run's status as read (None: no such run). Raises EndNotRecorded."""
        self.joined = True  # before: a stop() while this awaits leaves the group all the same
        await self.layer.group_add(self.group, self.channel)
        if not self.stopped and await feed_needed(self.run_id):
            self.fed = True
            await feed().watch(self.run_id, self.batch)
        if self.stopped:
            return None
        self.checked = time.monotonic()
        self.replay = replays().open(self.run_id)
        status, held, beyond = await self.replay.read(self.last)  # one read for the sockets opening with this one
        if status is None or self.stopped:
            return status
        stored = self.replay.events[held - 1 : held] + beyond  # its last events, as read
        async with self.lock:
            for text, last in self.replay.frames(self.last, held, self.head):
                await self._send_frame(text, last)
            await self._send_events([e for e in beyond if e["seq"] > self.last])
            if status not in Run.ACTIVE and not await self._end_stored(stored):
                raise EndNotRecorded(status)
            self.replaying = False
            pending, self.pending = self.pending, []
            await self._send_fresh(pending)
        return status

    async def stop(self) -> None:
        self.stopped = True
        if self.fed:
            feed().unwatch(self.run_id, self.batch)
            self.fed = False
        if self.replay is not None:
            replays().close(self.replay)
            self.replay = None
        if self.joined:
            self.joined = False
            await asyncio.shield(self.layer.group_discard(self.group, self.channel))  # done even if we are cancelled

    async def report_queue(self, tell: Callable[[dict], Awaitable[None]]) -> None:
        """While the run waits for a worker: its place in line and estimated start, whenever they change."""
        job = self.replay.job if self.replay is not None else None
        told = None
        while self.last < 0 and not self.stopped:
            report = await line().report(job, self.checked)
            if report is None or self.last >= 0:
                return  # started or ended: its events say so
            if report != told:
                await tell(report)
                told = report
            await asyncio.sleep(settings.QUEUE_REPORT_INTERVAL_S)

    async def _end_stored(self, replayed: list[dict]) -> bool:
        if replayed and replayed[-1]["type"] == RUN_FINISHED:
            return True
        return await Event.objects.filter(run_id=self.run_id, data__type=RUN_FINISHED).aexists()

    async def batch(self, batch: list[dict]) -> None:
        """One batch of the run's events, in seq order: from the group, or from the feed."""
        if self.stopped:
            return
        if self.replaying:
            self.pending.extend(batch)
            return
        async with self.lock:
            await self._send_fresh(batch)

    async def _send_fresh(self, batch: list[dict]) -> None:
        """Send what is new in `batch`, first filling any gap from the database."""
        # Batches come in seq order, so anything but last+1, last+2, ... (a gap, or a
        # repeat) is answered from the database, where every event is stored first.
        fresh = [e for e in batch if e["seq"] > self.last]
        if fresh and fresh[-1]["seq"] - self.last != len(fresh):
            fresh = await reader.read(
                events_after, run_id=self.run_id, after=self.last, limit=fresh[-1]["seq"] - self.last
            )
        elif len(fresh) == len(batch) and isinstance(batch, SharedBatch):
            return await self._send_events(batch, frames=batch.frames)  # all of it: the frames other sockets made
        await self._send_events(fresh)

    async def _send_events(self, batch: list[dict], *, frames: dict[tuple[str, int], str] | None = None) -> None:
        step = settings.EVENT_BATCH_MAX
        for k in range(0, len(batch), step):
            chunk = batch[k : k + step]
            text = frames.get((self.head, k)) if frames is not None else None
            if text is None:
                text = frame_text(chunk, self.head)
                if frames is not None:
                    frames[(self.head, k)] = text
            await self._send_frame(text, chunk[-1]["seq"])

    async def _send_frame(self, text: str, last: int) -> None:
        if self.stopped:
            return
        await self.send(text)
        self.last = last
