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
from graphql import DocumentNode, ExecutableDefinitionNode, ExecutionResult, Executor
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryResult
from strawberry.types.graphql import OperationType

from schema.fastpath.compile import PlanCompiler
from schema.fastpath.execute import execute_plan
from schema.fastpath.plan import Plan
from schema.fastpath.prepared import PreparedExtension, PreparedOperation
from schema.internals import get_first_operation, graphql_schema, optimized_is_awaitable
from schema.selections import Unsupported, condition_variables

log = structlog.get_logger("customer_graph.fastpath")

DEFAULT_MAX_PLANS: Final = 1024


class FastPath:
    """Runs the supported query operations of one schema through compiled plans.

    ``planned`` and ``fell_back`` count the operations run each way since start-up;
    ``prepared`` counts those of the planned ones that skipped Strawberry's hooks as well.
    """

    def __init__(self, schema: strawberry.Schema, max_plans: int = DEFAULT_MAX_PLANS) -> None:
        self._schema = schema
        self._compiler = PlanCompiler(schema)
        self._conditions: LRUCache[tuple[str, str | None], tuple[str, ...]] = LRUCache(max_plans)
        # A plan, or why the operation runs on Strawberry.
        self._plans: LRUCache[tuple[Any, ...], Plan | str] = LRUCache(max_plans)
        self._prepared: LRUCache[tuple[str, str | None], PreparedOperation] = LRUCache(max_plans)
        self._lane: tuple[list[PreparedExtension], list[MaskErrors]] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self.planned = 0
        self.fell_back = 0
        self.prepared = 0

    @property
    def cached_plans(self) -> int:
        """Plans and refusals held, one per operation shape seen."""
        return len(self._plans)

    def open_lane(self, extensions: tuple[list[PreparedExtension], list[MaskErrors]]) -> None:
        """Let prepared operations run, consulting these extensions (``prepared.py``)."""
        self._lane = extensions

    async def execute(self, context: ExecutionContext) -> ExecutionResult | None:
        """The operation's result, or None when Strawberry's execution must run it."""
        query, document = context.query, context.graphql_document
        if query is None or document is None or context.operation_type is not OperationType.QUERY:
            self.fell_back += 1
            return None
        found = self._plan(
            query,
            context.operation_name,
            document,
            context.root_value,
            context.context,
            context.variables,
            context.operation_extensions,
        )
        if found is None:
            self.fell_back += 1
            return None
        self.planned += 1
        if self._lane is not None:
            # Parsed, validated and accepted by every extension: the next request with this
            # text may skip them (``prepared.py``).
            self._keep_prepared(PreparedOperation(query, context.operation_name, document))
        plan, executor = found
        return await execute_plan(plan, executor, self._background)

    def is_prepared(self, query: str, operation_name: str | None) -> bool:
        """Whether ``execute_prepared`` may run this operation (it may still decline)."""
        return self._lane is not None and (query, operation_name) in self._prepared

    def _keep_prepared(self, operation: PreparedOperation) -> None:
        # Requests find it by the operation name they send. Strawberry resolves a missing
        # name to the first operation's, so that one also answers to no name at all.
        name, query = operation.operation_name, operation.query
        self._prepared[(query, name)] = operation
        first = get_first_operation(operation.document)
        if name is not None and first is not None and first.name and first.name.value == name:
            self._prepared[(query, None)] = operation

    async def execute_prepared(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> StrawberryResult | None:
        """The result of a prepared operation, or None when Strawberry must run the request."""
        lane = self._lane
        operation = self._prepared.get((query, operation_name))
        if lane is None or operation is None:
            return None
        extensions, masks = lane
        if not all(e.accepts_prepared(operation, variables, context) for e in extensions):
            return None
        found = self._plan(
            query,
            # The name Strawberry resolved, as the first run used it.
            operation.operation_name,
            operation.document,
            root_value,
            context,
            variables,
            operation_extensions,
        )
        if found is None:
            return None  # variables that do not coerce: Strawberry reports them
        for extension in extensions:
            extension.on_prepared(operation, context)
        self.planned += 1
        self.prepared += 1
        plan, executor = found
        result = await execute_plan(plan, executor, self._background)
        errors = result.errors
        if errors:
            # As Strawberry does: the schema sees the errors before masking hides them.
            self._schema.process_errors(errors, None)
            for mask in masks:
                errors = [
                    mask.anonymise_error(e) if mask.should_mask_error(e) else e for e in errors
                ]
        results: dict[str, Any] = {}
        for extension in extensions:
            results.update(extension.prepared_results(context))
        return StrawberryResult(data=result.data, errors=errors, extensions=results)

    def _plan(
        self,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
        root_value: Any,
        context_value: Any,
        variables: dict[str, Any] | None,
        operation_extensions: dict[str, Any] | None,
    ) -> tuple[Plan, Executor[Any]] | None:
        executor = self._schema.execution_context_class.build(
            graphql_schema(self._schema),
            document,
            root_value,
            context_value,
            variables,
            operation_name,
            # The predicate Strawberry gives graphql-core, so resolvers see the same info.
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=operation_extensions,
        )
        if isinstance(executor, list):
            return None  # invalid variables: Strawberry reports them
        shape = (query, operation_name)
        names = self._conditions.get(shape)
        if names is None:
            defined = {v.variable.name.value for v in executor.operation.variable_definitions or ()}
            found = condition_variables(
                d for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
            )
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
