"""A small real aiohttp server that counts the requests it gets: to prove one was never sent.

server = await Recording("127.0.0.2").start([web.get("/ok", handler)])
... server.url("/ok") ... server.hits ...
await server.close()
"""

from aiohttp import web


class Recording:
    def __init__(self, host="127.0.0.1"):
        self.host, self.hits, self.runner, self.port = host, 0, None, None

    async def start(self, routes):
        app = web.Application()

        @web.middleware
        async def count(request, handler):
            self.hits += 1
            return await handler(request)

        app.middlewares.append(count)
        app.add_routes(routes)
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    def url(self, path):
        return f"http://{self.host}:{self.port}{path}"

    async def close(self):
        await self.runner.cleanup()
