"""Load customers from every source the operation needs, concurrently, in one round."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import GatewayError
from datasources import Wanted
from resolvers.context import RequestContext


@dataclass(slots=True)
class CustomerRecords:
    """What each source returned for one customer: a record, a tuple, None, or an error."""

    id: str
    by_source: dict[str, Any]


async def load_customers(
    ctx: RequestContext, wanted: Wanted, ids: Sequence[str]
) -> list[CustomerRecords | None]:
    """Each id's records from the ``wanted`` sources, in order; None where the primary source
    does not know the id."""
    names = list(wanted)
    if len(names) == 1:
        # Only the primary source: nothing to run concurrently, no task to start.
        per_source = [await _load_all(ctx, names[0], wanted[names[0]], ids)]
    else:
        per_source = await asyncio.gather(
            *(_load_all(ctx, name, wanted[name], ids) for name in names)
        )
    primary_name = ctx.sources.primary
    primary = names.index(primary_name)
    out: list[CustomerRecords | None] = []
    unconfirmed: dict[str, GatewayError] = {}
    for i, cid in enumerate(ids):
        found = per_source[primary][i]
        if found is None:
            out.append(None)
            continue
        if isinstance(found, GatewayError):
            unconfirmed[cid] = found
        out.append(CustomerRecords(cid, {name: per_source[n][i] for n, name in enumerate(names)}))
    if unconfirmed and not wanted[primary_name]:
        # No field of the primary source was asked for, so no field carries its error: the
        # other sources' answers are served, but the client is told nobody confirmed these
        # customers exist.
        ctx.warnings.existence_unconfirmed(primary_name, unconfirmed)
    return out


async def _load_all(
    ctx: RequestContext, source: str, fields: frozenset[str], ids: Sequence[str]
) -> list[Any]:
    loader = ctx.loader(source, fields)
    results = await asyncio.gather(*(loader.load(i) for i in ids), return_exceptions=True)
    for result in results:
        # Source failures become per-field errors; anything else is a bug and fails loudly.
        if isinstance(result, BaseException) and not isinstance(result, GatewayError):
            raise result
    return results
