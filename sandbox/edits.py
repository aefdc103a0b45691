"""Writes: in-memory overlays over the generated customers and preferences, idempotency keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from .data import ChannelPreference, Customer, Dataset
from .keys import customer_ref
from .vocabulary import CHANNELS, SEGMENTS

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


class PreferenceStore:
    """Channel preferences as the preferences API serves them: generated, with writes applied."""

    def __init__(self, dataset: Dataset, clock: Callable[[], datetime] = utc_now) -> None:
        self._dataset = dataset
        self._clock = clock
        self._edited: dict[tuple[str, str], ChannelPreference] = {}

    def get(self, customer_id: str) -> tuple[ChannelPreference, ...]:
        """The customer's current preferences in channel order; empty for unknown customers."""
        current = {p.channel: p for p in self._dataset.preferences(customer_id)}
        for channel in CHANNELS:
            edited = self._edited.get((customer_id, channel))
            if edited is not None:
                current[channel] = edited
        return tuple(current[c] for c in CHANNELS if c in current)

    def put(self, customer_id: str, channel: str, form: Mapping[str, str]) -> ChannelPreference:
        """Set one channel from `opt_in` (Y/N) and optional `language`; raises EditRejected."""
        if self._dataset.customer(customer_id) is None:
            raise EditRejected(404, "not found")
        if channel not in CHANNELS:
            raise EditRejected(400, f"channel must be one of {', '.join(CHANNELS)}")
        unknown = sorted(set(form) - {"opt_in", "language"})
        if unknown:
            raise EditRejected(400, f"cannot set {unknown}; settable: opt_in, language")
        if form.get("opt_in") not in ("Y", "N"):
            raise EditRejected(400, "opt_in must be Y or N")
        # Every generated customer has at least one channel, all in the same language.
        known = self.get(customer_id)
        existing = next((p for p in known if p.channel == channel), known[0])
        language = form.get("language") or existing.language
        if len(language) != 2 or not language.isalpha():
            raise EditRejected(400, "language must be a two-letter ISO 639-1 code")
        updated = ChannelPreference(
            customer_id=customer_id,
            customer_ref=customer_ref(customer_id),
            channel=channel,
            opt_in=form["opt_in"] == "Y",
            language=language.lower(),
            updated=self._clock().date(),
        )
        self._edited[(customer_id, channel)] = updated
        return updated


class IdempotencyLog:
    """The answers given to requests carrying an Idempotency-Key, replayed for repeats."""

    def __init__(self) -> None:
        self._results: dict[str, StoredResult] = {}

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
