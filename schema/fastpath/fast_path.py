"""Decide per request whether a compiled plan runs the operation, and keep the plans.

Plans are cached by the query text, the operation name and the values of the variables that
decide ``@skip``/``@include``; an operation the compiler refuses is remembered as such, so
it costs one lookup before Strawberry runs it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import strawberry
import structlog
from cachetools import LRUCache
from graphql import ExecutionResult, Executor
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from schema.fastpath.collect import Unsupported, condition_variables
from schema.fastpath.compile import PlanCompiler
from schema.fastpath.execute import execute_plan
from schema.fastpath.plan import Plan

log = structlog.get_logger("customer_graph.fastpath")

DEFAULT_MAX_PLANS: Final = 1024


class FastPath:
    """Runs the supported query operations of one schema through compiled plans.

    ``planned`` and ``fell_back`` count the operations run each way since start-up.
    """

    def __init__(self, schema: strawberry.Schema, max_plans: int = DEFAULT_MAX_PLANS) -> None:
        self._schema = schema
        self._compiler = PlanCompiler(schema)
        self._conditions: LRUCache[tuple[str, str | None], tuple[str, ...]] = LRUCache(max_plans)
        # A plan, or why the operation runs on Strawberry.
        self._plans: LRUCache[tuple[Any, ...], Plan | str] = LRUCache(max_plans)
        self._background: set[asyncio.Future[Any]] = set()
        self.planned = 0
        self.fell_back = 0

    @property
    def cached_plans(self) -> int:
        """Plans and refusals held, one per operation shape seen."""
        return len(self._plans)

    async def execute(self, context: ExecutionContext) -> ExecutionResult | None:
        """The operation's result, or None when Strawberry's execution must run it."""
        found = self._plan(context)
        if found is None:
            self.fell_back += 1
            return None
        self.planned += 1
        plan, executor = found
        return await execute_plan(plan, executor, self._background)

    def _plan(self, context: ExecutionContext) -> tuple[Plan, Executor[Any]] | None:
        query, document = context.query, context.graphql_document
        if query is None or document is None or context.operation_type is not OperationType.QUERY:
            return None
        operation_name = context.operation_name
        executor = self._schema.execution_context_class.build(
            self._schema._schema,
            document,
            context.root_value,
            context.context,
            context.variables,
            operation_name,
            # The predicate Strawberry gives graphql-core, so resolvers see the same info.
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=context.operation_extensions,
        )
        if isinstance(executor, list):
            return None  # invalid variables: Strawberry reports them
        shape = (query, operation_name)
        names = self._conditions.get(shape)
        if names is None:
            defined = {v.variable.name.value for v in executor.operation.variable_definitions or ()}
            found = condition_variables(document)
            names = self._conditions[shape] = tuple(n for n in found if n in defined)
        conditions = _condition_values(executor, names)
        if conditions is None:
            return None
        key = (shape, tuple(conditions.values()))
        plan = self._plans.get(key)
        if plan is None:
            try:
                plan = self._compiler.compile(document, executor.operation, conditions)
            except Unsupported as refusal:
                plan = str(refusal)
                log.info("operation runs on Strawberry", operation=operation_name, reason=plan)
            self._plans[key] = plan
        return (plan, executor) if isinstance(plan, Plan) else None


def _condition_values(executor: Executor[Any], names: tuple[str, ...]) -> dict[str, bool] | None:
    """The request's ``@skip``/``@include`` variables; None if one is not a boolean."""
    values = executor.variable_values.coerced
    conditions: dict[str, bool] = {}
    for name in names:
        value = values.get(name)
        if not isinstance(value, bool):
            return None  # graphql-core reports the missing or null condition
        conditions[name] = value
    return conditions
