"""What replicas tell each other on the bus, as typed messages, and their encoding in a
stream entry (a ``kind`` and a JSON ``body``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class CustomerChanged:
    """One customer's record in ``source`` changed (``event``) at ``at``."""

    customer_id: str
    source: str
    event: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Invalidation:
    """These customers' records of ``source`` were dropped from the shared tier at ``at``
    (seconds since the epoch): every replica drops its own copies."""

    source: str
    customer_ids: tuple[str, ...]
    at: float


@dataclass(frozen=True, slots=True)
class Changes:
    """Customer changes for every replica's subscribers, in the order they happened."""

    changes: tuple[CustomerChanged, ...]


BusMessage = Invalidation | Changes


class MalformedMessage(ValueError):
    """A stream entry that is not a message of ours (another version, or garbage)."""


def encode(message: BusMessage) -> tuple[bytes, bytes]:
    """The message's kind and body."""
    if isinstance(message, Invalidation):
        body = {"source": message.source, "ids": list(message.customer_ids), "at": message.at}
        return b"invalidate", orjson.dumps(body)
    return b"changes", orjson.dumps([_encode_change(c) for c in message.changes])


def decode(kind: bytes, body: bytes) -> BusMessage:
    """The message of one entry; ``MalformedMessage`` when it is not one."""
    try:
        data = orjson.loads(body)
        if kind == b"invalidate":
            ids = tuple(str(i) for i in data["ids"])
            return Invalidation(str(data["source"]), ids, float(data["at"]))
        if kind == b"changes":
            return Changes(tuple(_decode_change(c) for c in data))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedMessage(f"unreadable {kind!r} message") from exc
    raise MalformedMessage(f"unknown message kind {kind!r}")


def _encode_change(change: CustomerChanged) -> dict[str, Any]:
    return {
        "customerId": change.customer_id,
        "source": change.source,
        "event": change.event,
        "at": change.at.isoformat(),
    }


def _decode_change(data: dict[str, Any]) -> CustomerChanged:
    return CustomerChanged(
        str(data["customerId"]),
        str(data["source"]),
        str(data["event"]),
        datetime.fromisoformat(data["at"]),
    )
