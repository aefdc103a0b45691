"""The replica bus: one ordered, replayable Redis stream of what replicas tell each other.

Every replica appends its invalidations and customer changes to ``{prefix}bus`` (``XADD``,
trimmed to about ``retention`` entries) and reads everyone's with a blocking ``XREAD`` from
the last entry it has seen, so one stream keeps invalidations ahead of the changes that
follow them. A replica that loses Redis resumes from that entry when it answers again and
misses nothing; if the entries it missed were trimmed meanwhile (or the stream was lost), it
cannot know what changed, so its handlers drop what they hold, and the gap is logged and
counted. Messages a replica sent itself are skipped when they come back: it applied them
when it sent them.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Protocol, cast

import redis.asyncio as redis
import structlog
from redis.typing import EncodableT, FieldT

from core import REDIS_FAILURES, RedisHealth, RedisUnavailable
from datasources.config import BusConfig
from datasources.metrics import SourceMetrics
from datasources.sync.messages import BusMessage, MalformedMessage, decode, encode

log = structlog.get_logger("customer_graph.bus")

_START = b"0-0"

# What XREAD answers: for each stream, its entries as (id, fields).
_Entries = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]


class BusHandler(Protocol):
    """What a part of the gateway does with other replicas' messages."""

    def received(self, message: BusMessage) -> None:
        """Apply another replica's message; called in stream order."""

    def lost(self) -> None:
        """Messages were missed for good: drop whatever they could have changed."""


class ReplicaBus:
    """The replicas' shared stream on ``health``'s Redis; without one, this process alone."""

    def __init__(
        self,
        config: BusConfig,
        stream: str,
        health: RedisHealth | None,
        metrics: SourceMetrics,
    ) -> None:
        self._config = config
        self._stream = stream
        self._health = health
        self._metrics = metrics
        self._handlers: list[BusHandler] = []
        # Tells this process's own messages apart when the stream gives them back.
        self._origin = uuid.uuid4().hex.encode()
        # The last entry handled here, and how many entries the stream had had up to it.
        self._last: bytes | None = None
        self._read_count = 0
        self._reader: asyncio.Task[None] | None = None
        metrics.bus_connected.set(0)

    def subscribe(self, handler: BusHandler) -> None:
        """Hand other replicas' messages to ``handler`` too; call before ``start``."""
        self._handlers.append(handler)

    async def start(self) -> None:
        """Take the stream's end as this replica's position and follow it.

        Start-up waits for the first attempt only: without Redis the gateway still runs.
        """
        health = self._health
        if health is None:
            return
        attempted = asyncio.Event()
        self._reader = asyncio.create_task(self._follow(health, attempted))
        policy = health.policy
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(policy.connect_timeout + 2 * policy.command_timeout):
                await attempted.wait()

    async def publish(self, message: BusMessage) -> None:
        """Append ``message`` for the other replicas; a Redis failure is logged and counted,
        not raised (they miss it, as they would have missed it on pub/sub)."""
        health = self._health
        if health is None:
            return
        kind, body = encode(message)
        fields: dict[FieldT, EncodableT] = {
            b"origin": self._origin,
            b"kind": kind,
            b"body": body,
        }

        async def append() -> None:
            await health.client.xadd(
                self._stream, fields, maxlen=self._config.retention, approximate=True
            )

        try:
            await health.call("bus_publish", append)
        except RedisUnavailable as exc:
            if exc.__cause__ is not None:
                self._metrics.redis_errors.labels("bus_publish").inc()
            log.warning("bus message not sent", kind=kind.decode(), redis=health.label)
            return
        self._metrics.bus_published.labels(kind.decode()).inc()

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    async def _follow(self, health: RedisHealth, attempted: asyncio.Event) -> None:
        config, policy = self._config, health.policy
        # Its own connection: a blocking read would hold one of the shared pool's.
        client = health.dedicated_client(read_timeout=config.block_seconds + policy.command_timeout)
        try:
            while True:
                if health.usable():
                    try:
                        async with asyncio.timeout(policy.connect_timeout + policy.command_timeout):
                            await self._position(client, first=not attempted.is_set())
                        attempted.set()
                        self._metrics.bus_connected.set(1)
                        await self._read(client)
                    except REDIS_FAILURES as exc:
                        self._metrics.bus_connected.set(0)
                        self._metrics.redis_errors.labels("bus_read").inc()
                        health.failed("bus_read", exc)
                attempted.set()
                # A real pause, not the injected timer: it paces reconnection attempts.
                await asyncio.sleep(policy.retry_after)
        finally:
            self._metrics.bus_connected.set(0)
            await client.aclose()

    async def _position(self, client: redis.Redis, *, first: bool) -> None:
        """Where to read from after (re)connecting, and whether what was missed is lost."""
        info = await client.xinfo_stream(self._stream) if await client.exists(self._stream) else {}
        newest: bytes = info.get("last-generated-id", _START)
        added: int = info.get("entries-added", 0)
        # Entries ever trimmed (or deleted) from the front of the stream.
        removed = added - info.get("length", 0)
        last = self._last
        if last is not None and _id(newest) >= _id(last) and added >= self._read_count:
            if removed <= self._read_count:
                self._metrics.bus_resumed.inc()
                log.info("bus resumed", after=last.decode())
                return
            self._lose("trimmed")
        elif last is not None:
            self._lose("reset")
        elif not first:
            # A replica that began without Redis may hold records someone invalidated since.
            self._lose("started_without_redis")
        self._last, self._read_count = newest, added

    async def _read(self, client: redis.Redis) -> None:
        block = int(self._config.block_seconds * 1000)
        while True:
            assert self._last is not None
            found = cast(
                "_Entries",
                await client.xread(
                    {self._stream: self._last}, count=self._config.batch, block=block
                ),
            )
            for _stream, entries in found:
                for entry_id, fields in entries:
                    self._last = entry_id
                    self._read_count += 1
                    self._dispatch(fields)

    def _dispatch(self, fields: dict[bytes, bytes]) -> None:
        if fields.get(b"origin") == self._origin:
            return
        kind = fields.get(b"kind", b"")
        try:
            message = decode(kind, fields.get(b"body", b""))
        except MalformedMessage as exc:
            self._metrics.bus_received.labels("malformed").inc()
            log.warning("malformed bus message ignored", error=str(exc))
            return
        self._metrics.bus_received.labels(kind.decode()).inc()
        for handler in self._handlers:
            handler.received(message)

    def _lose(self, reason: str) -> None:
        self._metrics.bus_gaps.labels(reason).inc()
        log.warning(
            "bus messages missed for good; local copies dropped",
            reason=reason,
            stream=self._stream,
        )
        for handler in self._handlers:
            handler.lost()


def _id(entry_id: bytes) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition(b"-")
    return int(milliseconds), int(sequence or 0)
