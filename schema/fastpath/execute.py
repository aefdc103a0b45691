"""Run a plan: the root fields as graphql-core runs them, then each value's completer.

The root resolvers are Strawberry's own (``schema/query.py``): they load through the
request's dataloaders, so a plan issues exactly the upstream calls plain execution issues.
Root fields start in document order and run concurrently; a failure of a non-null root field
nulls the whole response, and cancels the others, as in graphql-core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from graphql import ExecutionResult, Executor, GraphQLError
from graphql.pyutils import gather_with_cancel

from schema.fastpath.complete import field_error
from schema.fastpath.errors import Position
from schema.fastpath.plan import FieldSite, Plan
from schema.fastpath.state import RequestState


async def execute_plan(
    plan: Plan, executor: Executor[Any], background: set[asyncio.Future[Any]]
) -> ExecutionResult:
    """The operation's result; ``background`` keeps abandoned root fields alive until done."""
    state = RequestState(executor)
    is_awaitable = executor.is_awaitable
    results: dict[str, Any] = {}
    pending: list[str] = []
    try:
        for site in plan.fields:
            result = _execute_root_field(site, executor.root_value, state)
            results[site.key] = result
            if is_awaitable(result):
                pending.append(site.key)
    except GraphQLError as error:
        # graphql-core lets root fields already started run to the end, unobserved.
        if pending:
            settled = asyncio.gather(*(results[k] for k in pending), return_exceptions=True)
            background.add(settled)
            settled.add_done_callback(background.discard)
        state.errors.add(error, None)
        return ExecutionResult(None, state.errors.errors or None)
    try:
        if len(pending) == 1:
            results[pending[0]] = await results[pending[0]]
        elif pending:
            done = await gather_with_cancel(*(results[k] for k in pending))
            results.update(zip(pending, done, strict=True))
    except GraphQLError as error:
        state.errors.add(error, None)
        return ExecutionResult(None, state.errors.errors or None)
    return ExecutionResult(results, state.errors.errors or None)


def _execute_root_field(site: FieldSite, root_value: Any, state: RequestState) -> Any:
    position: Position = (None, site.key, site.parent.name)
    info = state.info(site, position)
    try:
        resolve = site.field.resolve
        assert resolve is not None
        result = resolve(root_value, info, **state.arguments(site))
        if state.executor.is_awaitable(result):
            return _complete_awaited(site, result, position, state)
        return site.complete(result, position, state)
    except Exception as raw:
        return field_error(raw, site.nodes, position, site.non_null, state)


async def _complete_awaited(
    site: FieldSite, result: Awaitable[Any], position: Position, state: RequestState
) -> Any:
    try:
        return site.complete(await result, position, state)
    except Exception as raw:
        return field_error(raw, site.nodes, position, site.non_null, state)
