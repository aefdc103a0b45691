"""A TCP proxy in front of the real Redis that can hold back answers, to order a race.

While armed, every connection that sends a command has its answers held back until
``release``; connections opened or used after ``disarm`` pass freely. So a test can keep one
request's Redis lookup unanswered while another request's fetch lands and is stored.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class HoldingProxy:
    """Forwards 127.0.0.1:``port`` to Redis; ``held`` counts the connections holding answers."""

    def __init__(self, loop: asyncio.AbstractEventLoop, redis_port: int) -> None:
        self._loop = loop
        self._redis_port = redis_port
        self._armed = False
        self._release = asyncio.Event()
        self._stop = asyncio.Event()
        self._connections: set[asyncio.Task[None]] = set()
        self.held = 0
        self.port = 0

    def arm(self) -> None:
        self._armed = True

    def disarm(self) -> None:
        self._armed = False

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._release.set)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)

    async def serve(self, ready: threading.Event) -> None:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await self._stop.wait()
        # Connections still forwarding end here, while the loop runs: left pending, they
        # would be collected after the loop closed, failing whichever test runs then.
        for connection in self._connections:
            connection.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _connection(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", self._redis_port)
        holding = asyncio.Event()
        try:
            await asyncio.gather(
                self._commands(client_reader, redis_writer, holding),
                self._answers(redis_reader, client_writer, holding),
            )
        except (ConnectionError, OSError):
            pass
        finally:
            redis_writer.close()
            client_writer.close()

    async def _commands(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, holding: asyncio.Event
    ) -> None:
        while data := await reader.read(65536):
            if self._armed and not holding.is_set():
                holding.set()
                self.held += 1
            writer.write(data)
            await writer.drain()
        writer.close()

    async def _answers(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, holding: asyncio.Event
    ) -> None:
        while data := await reader.read(65536):
            if holding.is_set():
                await self._release.wait()
            writer.write(data)
            await writer.drain()
        writer.close()


@contextmanager
def holding_proxy(redis_port: int = 6379) -> Iterator[HoldingProxy]:
    """A ``HoldingProxy`` served from its own thread for the length of the block."""
    loop = asyncio.new_event_loop()
    proxy = HoldingProxy(loop, redis_port)
    ready = threading.Event()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(proxy.serve(ready),), name="redis-proxy"
    )
    thread.start()
    try:
        assert ready.wait(10), "the Redis proxy did not start"
        yield proxy
    finally:
        proxy.release()
        proxy.stop()
        thread.join(10)
        loop.close()
