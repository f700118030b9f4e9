"""A TCP proxy whose connections a test can cut, to play a dropped Wi-Fi link."""

import asyncio


class CuttableProxy:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = None
        self.cuts = 0
        self._server = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task] = set()

    async def start(self) -> "CuttableProxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.get_running_loop().create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src, dst):
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass  # the other side was cut: this pipe simply ends
        finally:
            self._writers.discard(dst)
            dst.close()

    def cut(self) -> int:
        """Abort every open connection (new ones are still accepted)."""
        cut = list(self._writers)
        for writer in cut:
            writer.transport.abort()
        self._writers.clear()
        self.cuts += 1
        return len(cut)

    async def close(self):
        self.cut()
        self._server.close()
        await self._server.wait_closed()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
