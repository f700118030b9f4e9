"""Replays: what a socket opening on a run is sent first, read once for every socket of a process that opens together.

    RunFollow (follow.py): join the group / the feed -> replays().open(run) -> .read() -> frames(after, upto, head)
    Replay.read: a read of the database begun after the call (shared by every caller waiting for
                 one), fetching only the events past those already held -> (status, events)

When the teacher puts a run on stage, a class of 100 opens its socket at once: each reading,
decoding and encoding the stored events on its own was three tenths of Daphne's busy time while
the run went (bench/classroom.py, a py-spy profile). A process now holds, for each run a socket
of it watches, the run's stored events from seq 0 on (contiguous: a gap ends what is held, and
is read again next time) and the frames made of them.

Exactly once, as before: a socket asks for a read only after joining the group (or the feed),
and gets one begun after it asked, so every event is either in what it is sent here or in what
arrives live; it drops the overlap by seq.
"""

import asyncio
import itertools
from collections.abc import Iterator

import orjson
from django.conf import settings

from playground.runs import reader
from playground.runs.eventstore import events_after
from playground.runs.loops import this_loops
from playground.runs.models import Run

_tickets = itertools.count(1)  # orders asking for a read and beginning one (one loop: no lock needed)


def frame_text(events: list[dict], head: str) -> str:
    """One websocket frame of events: `head` (its text up to the events, follow.py) + the events + "}"."""
    return head + orjson.dumps(events, option=orjson.OPT_NON_STR_KEYS).decode() + "}"


def _read(run_id, after: int) -> tuple[tuple | None, list[dict]]:
    # The status first: a run that had ended by then has all its events stored (eventstore.events_store).
    row = Run.objects.filter(id=run_id).values_list("status", "job").first()
    return row, (events_after(run_id=run_id, after=after) if row is not None else [])


class Replay:
    """One run's stored events as this process last read them, and the frames made of them."""

    def __init__(self, run_id) -> None:
        self.run_id = run_id
        self.status: str | None = None
        self.job = None  # its job in the queue (waiting.py tells a queued run's page its place)
        self.events: list[dict] = []  # seq 0, 1, 2, ...: events[k]["seq"] == k
        self.beyond: list[dict] = []  # what the last read found past a gap in seq: sent, never held
        self.users = 0
        self._frames: dict[tuple[str, int, int], str] = {}  # (head, first seq, last seq + 1) -> frame text
        self._short: dict[tuple[str, int], int] = {}  # (head, first seq) -> end of the short frame made for it
        self._reading: asyncio.Task | None = None
        self._done = 0  # the ticket of the newest read finished

    async def read(self, after: int = -1) -> tuple[str | None, int, list[dict]]:
        """From a read of the database begun after this call (callers that wait together share one):
        the run's status (None: no such run), how many of `events` are stored, and the stored events
        past a gap in seq, if any. A socket resuming after seq `after` on a run nothing here holds
        reads its tail alone, as its own (held 0: the tail comes as the events past the gap)."""
        if after >= 0 and not self.events and self._reading is None:
            row, rows = await reader.read(_read, run_id=self.run_id, after=after)
            self.job = row[1] if row else None
            return (row[0] if row else None), 0, rows
        ticket = next(_tickets)
        while self._done < ticket:
            if self._reading is None:
                self._reading = asyncio.get_running_loop().create_task(self._read_once())
            await asyncio.shield(self._reading)  # a caller that leaves does not cancel the others' read
        return self.status, len(self.events), self.beyond

    async def _read_once(self) -> None:
        begun = next(_tickets)
        try:
            row, rows = await reader.read(_read, run_id=self.run_id, after=len(self.events) - 1)
        finally:
            self._reading = None
        held = len(self.events)
        for event in rows:
            if event["seq"] != len(self.events):
                break  # not stored yet, or never will be: each later read looks again
            self.events.append(event)
        self.beyond = rows[len(self.events) - held :]
        self.status, self.job = row or (None, None)
        self._done = max(self._done, begun)

    def frames(self, after: int, upto: int, head: str) -> Iterator[tuple[str, int]]:
        """Frames of the events with after < seq < upto, and the last seq in each. Frames end at multiples
        of EVENT_BATCH_MAX, so sockets replaying from the start share every one."""
        step = settings.EVENT_BATCH_MAX
        start = after + 1
        while start < upto:
            end = min(upto, (start // step + 1) * step)
            text = self._frames.get((head, start, end))
            if text is None:
                text = frame_text(self.events[start:end], head)
                if start % step == 0:  # a socket replaying from the start: others will send it too
                    self._keep(head, start, end, text, short=end % step != 0)
            yield text, end - 1
            start = end

    def _keep(self, head: str, start: int, end: int, text: str, *, short: bool) -> None:
        shorter = self._short.pop((head, start), None)  # made before more events were held: never sent again
        if shorter is not None:
            del self._frames[(head, start, shorter)]
        if short:
            self._short[(head, start)] = end
        self._frames[(head, start, end)] = text


class Replays:
    def __init__(self) -> None:
        self.runs: dict[str, Replay] = {}

    def open(self, run_id) -> Replay:
        """The run's replay, held until every socket that opened it closes it."""
        replay = self.runs.setdefault(str(run_id), Replay(run_id))
        replay.users += 1
        return replay

    def close(self, replay: Replay) -> None:
        replay.users -= 1
        if replay.users <= 0 and self.runs.get(str(replay.run_id)) is replay:
            del self.runs[str(replay.run_id)]


_REPLAYS: dict[asyncio.AbstractEventLoop, Replays] = {}


def replays() -> Replays:
    """This process's replays."""
    return this_loops(_REPLAYS, Replays)
