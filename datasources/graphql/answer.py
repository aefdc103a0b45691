"""Reading a GraphQL upstream's answer: whose records are where, and whose part of the answer
its errors spoil.

An error whose path leads into one customer's part of the answer fails only that customer;
one without a path, or with a path no customer can be told from, fails the whole batch,
since nothing says which records it left incomplete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from datasources.codecs import CodecError

# An error of the answer: its message and its path, as the upstream sent them.
UpstreamFailure = tuple[str, tuple[str | int, ...]]


@dataclass
class Answer:
    """The raw records of each source key that has any, and the first failure of each key
    whose part of the answer holds an error; ``batch_failure`` fails every key."""

    records: dict[str, list[Any]] = field(default_factory=dict)
    failures: dict[str, UpstreamFailure] = field(default_factory=dict)
    batch_failure: UpstreamFailure | None = None


def read_answer(
    body: Any,
    root: str,
    keys: Sequence[str],
    record_key: Callable[[Any], Any] | None,
    records_of: Callable[[Any], Any] | None,
) -> Answer:
    """The answer to a batch for ``keys``, whose data sits under ``root``.

    ``record_key`` (list operations) reads a record's source key; without it the answer is
    an ``_entities`` list in the order of ``keys``, and ``records_of`` reads the records out
    of one entity (None: the entity is the record). An answer that is not GraphQL's shape
    raises ``CodecError``.
    """
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise CodecError("expected a GraphQL response, an object with 'data' or 'errors'")
    errors = _errors(body.get("errors"))
    data = body.get("data")
    value = data.get(root) if isinstance(data, dict) else None
    answer = Answer()
    if value is None:
        if not errors:
            raise CodecError(f"the response has no data at {root!r} and no errors")
        answer.batch_failure = errors[0]
        return answer
    if not isinstance(value, list):
        raise CodecError(f"expected a list at data.{root}")
    if record_key is None and len(value) != len(keys):
        raise CodecError(f"expected {len(keys)} entities at data.{root}, got {len(value)}")
    owners: list[str | None] = []
    for index, item in enumerate(value):
        owner = _owner(item, index, keys, record_key)
        owners.append(owner)
        if owner is None or item is None:
            continue
        found = item if records_of is None else records_of(item)
        if found is None:
            continue
        answer.records.setdefault(owner, []).extend(found if isinstance(found, list) else [found])
    for message, path in errors:
        step = path[1] if len(path) > 1 and path[0] == root else None
        owner = owners[step] if isinstance(step, int) and 0 <= step < len(owners) else None
        if owner is None:
            answer.batch_failure = (message, path)
            return answer
        answer.failures.setdefault(owner, (message, path))
    return answer


def _owner(
    item: Any, index: int, keys: Sequence[str], record_key: Callable[[Any], Any] | None
) -> str | None:
    if record_key is None:
        return keys[index]
    key = record_key(item) if isinstance(item, dict) else None
    return str(key) if key is not None else None


def _errors(raw: Any) -> list[UpstreamFailure]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise CodecError("expected 'errors' to be a list")
    errors: list[UpstreamFailure] = []
    for error in raw:
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(message, str):
            raise CodecError("expected every error to have a 'message'")
        path = error.get("path")
        steps = tuple(p for p in path if isinstance(p, str | int)) if isinstance(path, list) else ()
        errors.append((message, steps))
    return errors
