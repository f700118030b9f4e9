"""The embedded default's channel layer: Channels' in-memory layer, its group_send without a task per member.

channels.layers.InMemoryChannelLayer.group_send makes one task per member of the group, then waits for
them with as_completed: for each message to a class of 100, 100 tasks and a trip round the event loop,
in which every other socket's pending work runs first. Launching a run for everyone sends four such
messages (the round locked and the stage, to the teacher and to the learners), one trip after another,
while the worker has already begun the run. Its send() never waits (a put_nowait), so here each member's
copy is queued in place, in one go; all else is Channels' own, capacity and expiry included.
"""

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


class InMemoryLayer(InMemoryChannelLayer):
    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            try:
                await self.send(channel, message)
            except ChannelFull:
                pass  # as Channels' own: a member whose queue is full misses it, the others still get it
