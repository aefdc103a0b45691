"""Batched requests: a JSON array of operations in one POST, as Apollo's BatchHttpLink sends.

Off unless ``http.max_batch`` is set. Each operation runs as if it had been sent alone: its
own context (loaders, plan, deadline), the query limits of its caller, and one hit of the
caller's rate limit (the request itself paid for the first). An operation that is refused
gets its own error in its place; the others still run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from auth import Identity, IdentityRateLimiter
from core import GatewayError

RunOne = Callable[[GraphQLRequestData], Awaitable[ExecutionResult]]


async def run_batch(
    operations: list[GraphQLRequestData],
    run_one: RunOne,
    identity: Identity,
    rate_limiter: IdentityRateLimiter,
) -> list[ExecutionResult]:
    """Every operation's result, in the batch's order."""

    async def run(position: int, operation: GraphQLRequestData) -> ExecutionResult:
        try:
            if position > 0:
                await rate_limiter.hit(identity)
            return await run_one(operation)
        except GatewayError as exc:
            return ExecutionResult(
                data=None, errors=[GraphQLError(exc.message, extensions=exc.extensions)]
            )

    return list(await asyncio.gather(*(run(i, op) for i, op in enumerate(operations))))
