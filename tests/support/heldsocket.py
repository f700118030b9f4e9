"""A class socket held at two points, to test the order of the messages it holds before its hello.

consumer = gated_consumer()          # a ClassConsumer subclass with fresh gates
app = as_visitor(URLRouter([...consumer.as_asgi()...]), "t1")
consumer.reached   set when the socket's task reads the role a second time (its groups joined:
                   group messages now are held); it waits there for consumer.hello
consumer.sending   set when the socket starts sending a message carrying "gate": true; that send
                   waits for consumer.go
consumer.late_in   set once a message carrying "late": true has been dispatched (sent or held)
consumer.sockets   the instances, to read their `held`
"""

import asyncio

from playground.classes.consumers import ClassConsumer


def gated_consumer() -> type[ClassConsumer]:
    class Gated(ClassConsumer):
        reached, hello, sending, go, late_in = (asyncio.Event() for _ in range(5))
        sockets: list[ClassConsumer] = []
        roles = 0

        async def connect(self):
            Gated.sockets.append(self)
            await super().connect()

        async def _role(self, classroom):
            Gated.roles += 1
            if Gated.roles == 2:  # after joining the groups, before the hello
                Gated.reached.set()
                await Gated.hello.wait()
            return await super()._role(classroom)

        async def _send_json(self, message: dict):
            if message.get("gate"):
                Gated.sending.set()
                await Gated.go.wait()
            await super()._send_json(message)

        async def dispatch(self, message):
            await super().dispatch(message)
            if message.get("late"):
                Gated.late_in.set()

    return Gated


class as_visitor:  # noqa: N801 -- ASGI middleware, used like a function
    """ASGI middleware: the scope's session is a browser whose visitor id is `visitor`."""

    def __init__(self, app, visitor: str):
        self.app, self.visitor = app, visitor

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, "session": {"visitor": self.visitor}}, receive, send)
