"""A batch of keys in calls of at most the upstream's size, sent concurrently: the failure of
one call costs only its customers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from core import GatewayError
from datasources.http.records import Records


async def fetch_in_chunks(
    by_key: Mapping[str, str], size: int, fetch: Callable[[list[str]], Awaitable[Records]]
) -> Records:
    """The records of every customer of ``by_key`` (source key -> customer id), fetched by
    ``fetch`` in chunks of ``size`` keys. A failed chunk's customers hold its error, unless
    every chunk failed or the failure is not an upstream's: then it is raised."""
    keys = list(by_key)
    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    if len(chunks) == 1:
        # The common case needs no task of its own.
        return await fetch(chunks[0])
    results = await asyncio.gather(*(fetch(chunk) for chunk in chunks), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed and (
        len(failed) == len(results) or any(not isinstance(r, GatewayError) for r in failed)
    ):
        # Nothing to salvage, or not an upstream's failure at all.
        raise failed[0]
    merged: Records = {}
    for chunk, records in zip(chunks, results, strict=True):
        if isinstance(records, BaseException):
            # Only the customers of the failed call go without; the others are answered.
            merged.update((by_key[key], records) for key in chunk)
        else:
            merged.update(records)
    return merged
