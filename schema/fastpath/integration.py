"""Where plans meet Strawberry: a schema whose execution step runs a plan when it can.

The first time, the plan runs inside Strawberry's ``on_execute`` hook, as the last extension,
and hands its result over through ``execution_context.result``, Strawberry's documented way
for an extension to provide the result. Parsing and validation (with their caches), the
other extensions' hooks, ``process_errors`` and the response stay Strawberry's. After that,
the same operation text runs as a prepared operation (``prepared.py``) where the schema's
extensions allow it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import strawberry
import structlog
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.fastpath.fast_path import DEFAULT_MAX_PLANS, FastPath
from schema.fastpath.prepared import honoured, lane_extensions

log = structlog.get_logger("customer_graph.fastpath")


class FastPathExtension(SchemaExtension):
    """Executes the operation through a plan unless an earlier extension set a result."""

    def __init__(self, fast_path: FastPath) -> None:
        super().__init__()
        self._fast_path = fast_path

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.result is None:
            result = await self._fast_path.execute(context)
            if result is not None:
                context.result = result
        yield


class FastPathSchema(strawberry.Schema):
    """A Strawberry schema that runs supported query operations through compiled plans."""

    def __init__(
        self, *args: Any, fast_path: bool = True, max_plans: int = DEFAULT_MAX_PLANS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Exception handlers rewrite resolver results per field: left to Strawberry.
        enabled = fast_path and not self.exception_handlers
        self.fast_path = FastPath(self, max_plans) if enabled else None
        if self.fast_path is not None:
            # Made once: prepared operations consult these instances, not per-request ones.
            extensions = super().get_extensions()
            closing = next((e for e in extensions if _closes_lane(e)), None)
            if closing is None:
                self.fast_path.open_lane(lane_extensions(extensions))
            else:
                # Every request then runs Strawberry's hooks: worth a line at start-up.
                log.warning("prepared operations are off", closed_by=type(closing).__qualname__)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        fast_path = self.fast_path
        if (
            fast_path is not None
            and query is not None
            and (allowed_operation_types is None or OperationType.QUERY in allowed_operation_types)
        ):
            result = await fast_path.execute_prepared(
                query,
                operation_name,
                variable_values,
                context_value,
                root_value,
                operation_extensions,
            )
            if result is not None:
                return result
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        extensions = super().get_extensions(sync)
        if self.fast_path is None or sync or any(_wraps_resolvers(e) for e in extensions):
            return extensions
        return [*extensions, FastPathExtension(self.fast_path)]


def _wraps_resolvers(extension: SchemaExtension) -> bool:
    # An extension with a ``resolve`` hook must see every field resolve: plans skip them.
    return type(extension).resolve is not SchemaExtension.resolve


def _closes_lane(extension: SchemaExtension) -> bool:
    return _wraps_resolvers(extension) or not honoured(extension)
