"""GroupDispatch: a consumer mixin that hands channel-layer messages to their handler without Channels'
per-message database check.

Channels (4.2+) runs `close_old_connections` in a thread before every message a consumer handles:
one thread hop per socket per message. When the teacher puts a run on stage, a class of 100 gets
class.stage and class.round at once: 200 hops, queued one behind the other in the one thread
sync_to_async shares, held the stage's first events back a quarter of a second
(bench/classroom.py). The handlers of group messages here touch the database only through the
events reader (runs/reader.py) or sync_to_async calls of their own; the websocket's own messages
(connect, receive, disconnect) still go through Channels' check, so a stale connection is still
closed at the next socket that opens or closes.
"""

from channels.consumer import get_handler_name


class GroupDispatch:
    async def dispatch(self, message):
        if message["type"].startswith("websocket."):
            return await super().dispatch(message)  # type: ignore[misc]
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
