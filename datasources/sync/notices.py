"""What an upstream's webhook says changed: its JSON body read into customer ids and an event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from core import BadRequest
from datasources.config import SourceConfig
from datasources.model import KeyTemplate, compile_path

DEFAULT_EVENT = "updated"
_EVENT = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_MAX_ID_LENGTH = 128


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """Customers whose records in one source changed, and what happened to them."""

    customer_ids: tuple[str, ...]
    event: str


class ChangeNoticeReader:
    """Reads one source's notices with the expressions of its ``webhook`` table."""

    def __init__(self, name: str, config: SourceConfig) -> None:
        webhook = config.webhook
        if webhook is None:
            raise ValueError(f"source {name!r} has no webhook")
        self._source = name
        self._ids = compile_path(webhook.ids)
        self._event = compile_path(webhook.event)
        self._max_ids = webhook.max_ids
        self._keys = KeyTemplate(config.key_template) if webhook.ids_are == "source_keys" else None

    def read(self, body: bytes) -> ChangeNotice:
        """The notice in ``body``; ``BadRequest`` saying what is wrong when it is malformed."""
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise self._bad("the body is not JSON") from None
        ids = self._customer_ids(self._ids(document))
        event = self._event(document)
        if event is None:
            event = DEFAULT_EVENT
        if not isinstance(event, str) or not _EVENT.fullmatch(event):
            raise self._bad("expected the event as a short word such as 'updated'")
        return ChangeNotice(ids, event)

    def _customer_ids(self, found: Any) -> tuple[str, ...]:
        if not isinstance(found, list) or not found:
            raise self._bad("expected a non-empty list of ids")
        if len(found) > self._max_ids:
            raise self._bad(f"at most {self._max_ids} ids per notice, got {len(found)}")
        ids: list[str] = []
        for value in found:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_LENGTH:
                raise self._bad("expected every id to be a string or an integer")
            if self._keys is not None:
                customer_id = self._keys.to_customer(value)
                if customer_id is None:
                    raise self._bad(f"{value!r} is not a key of this source")
                value = customer_id
            ids.append(value)
        return tuple(dict.fromkeys(ids))

    def _bad(self, reason: str) -> BadRequest:
        return BadRequest(f"malformed change notice: {reason}", source=self._source)
