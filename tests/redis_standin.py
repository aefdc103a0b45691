"""A TCP server where Redis would be: it relays to the real Redis, or, once told to hang,
accepts connections and reads commands but never answers, as a stuck Redis does; or, once
cut, drops every connection and every new one, as a network partition or a restart does."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator


class RedisStandIn:
    """``url`` points at it; ``hang()``, ``cut()`` and ``relay()`` switch what it does, for
    every connection at once, the open ones included."""

    def __init__(self, upstream: tuple[str, int] | None) -> None:
        self._upstream = upstream
        self.hanging = upstream is None
        self.cutting = False
        self._open: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="redis-stand-in", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hang(self) -> None:
        self.hanging = True

    def cut(self) -> None:
        """Close every connection now, and each new one as soon as it is made."""
        self.cutting = True
        self._loop.call_soon_threadsafe(self._close_all)

    def relay(self) -> None:
        assert self._upstream is not None, "this stand-in has no Redis to relay to"
        self.hanging = False
        self.cutting = False

    def _close_all(self) -> None:
        for writer in list(self._open):
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        pump: asyncio.Task[None] | None = None
        if self.cutting:
            writer.close()
            return
        self._open.add(writer)
        try:
            while data := await reader.read(65536):
                if self.hanging:
                    continue  # read and dropped: the client waits for an answer that never comes
                if upstream is None:
                    assert self._upstream is not None
                    from_redis, upstream = await asyncio.open_connection(*self._upstream)
                    pump = asyncio.create_task(self._answers(from_redis, writer))
                upstream.write(data)
                await upstream.drain()
        except ConnectionError:
            pass
        finally:
            if pump is not None:
                pump.cancel()
            if upstream is not None:
                upstream.close()
            self._open.discard(writer)
            writer.close()

    async def _answers(self, from_redis: asyncio.StreamReader, to: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await from_redis.read(65536):
                if not self.hanging:
                    to.write(data)
                    await to.drain()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(5)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextlib.contextmanager
def redis_stand_in(upstream: tuple[str, int] | None = None) -> Iterator[RedisStandIn]:
    """A running stand-in: hanging from the start without ``upstream``, else relaying."""
    stand_in = RedisStandIn(upstream)
    stand_in.start()
    try:
        yield stand_in
    finally:
        stand_in.stop()


def refused_redis_url() -> str:
    """A Redis URL whose port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
