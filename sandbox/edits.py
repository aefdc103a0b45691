"""CRM writes: an in-memory overlay over the generated customers, with idempotency keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from .data import Customer, Dataset
from .vocabulary import SEGMENTS

EDITABLE_FIELDS = ("first_name", "last_name", "email", "phone", "city", "segment")


class EditRejected(Exception):
    """A PATCH body that cannot be applied; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoredResult:
    """What a request carrying an idempotency key was answered, replayed for repeats."""

    fingerprint: bytes
    status: int
    body: bytes


def utc_now() -> datetime:
    """The current time in UTC to whole seconds, as the CRM stores timestamps."""
    return datetime.now(UTC).replace(microsecond=0)


class CustomerStore:
    """Customers as the CRM serves them: generated data with this app's writes applied."""

    def __init__(self, dataset: Dataset, clock: Callable[[], datetime] = utc_now) -> None:
        self._dataset = dataset
        self._clock = clock
        self._edited: dict[str, Customer] = {}
        self._results: dict[str, StoredResult] = {}

    def get(self, customer_id: str) -> Customer | None:
        """The current state of a customer, or None if unknown."""
        edited = self._edited.get(customer_id)
        return edited if edited is not None else self._dataset.customer(customer_id)

    def patch(self, customer_id: str, changes: object) -> Customer:
        """Apply `changes` (a decoded JSON body) and bump updated_at; raises EditRejected."""
        current = self.get(customer_id)
        if current is None:
            raise EditRejected(404, "not found")
        if not isinstance(changes, Mapping):
            raise EditRejected(400, "body must be a JSON object")
        if not changes:
            raise EditRejected(400, "body must change at least one attribute")
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise EditRejected(
                400, f"cannot change {unknown}; editable: {', '.join(EDITABLE_FIELDS)}"
            )
        for name, value in changes.items():
            if not isinstance(value, str) or not value.strip():
                raise EditRejected(400, f"{name} must be a non-empty string")
        if "segment" in changes and changes["segment"] not in SEGMENTS:
            raise EditRejected(400, f"segment must be one of {', '.join(SEGMENTS)}")
        updated = dataclasses.replace(current, **dict(changes), updated_at=self._clock())
        self._edited[customer_id] = updated
        return updated

    def replay(self, key: str, fingerprint: bytes) -> StoredResult | None:
        """The stored answer for a key; EditRejected(422) if reused for another body."""
        stored = self._results.get(key)
        if stored is not None and stored.fingerprint != fingerprint:
            raise EditRejected(422, "Idempotency-Key was already used with a different request")
        return stored

    def remember(self, key: str, result: StoredResult) -> None:
        """Store the answer given for an idempotency key."""
        self._results[key] = result


def fingerprint(customer_id: str, body: bytes) -> bytes:
    """Identity of a PATCH for idempotency: same customer and same JSON, whatever its formatting."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    return customer_id.encode() + b"\n" + canonical
