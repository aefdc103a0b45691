"""What the access log, the metrics and the trace learn about one GraphQL request.

``RequestObserver`` puts a ``RequestRecord`` in the request's ASGI state; the code that
learns something (the operation, the errors, the refusals) writes it there, and the
observer reads it once the response is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from datasources import RequestBudget
from schema.fastpath import PreparedExtension, PreparedOperation

# The state key the record travels under (``request.state.record`` to Starlette).
STATE_KEY = "record"

# Codes of errors that carry none of their own: graphql-core's parse and validation errors
# (no path) and masked failures of resolvers (with one).
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL = "INTERNAL"


@dataclass(slots=True)
class RequestRecord:
    """One GraphQL request as observed; filled in while it runs."""

    request_id: str
    operation_type: str = "unknown"
    operation_name: str | None = None
    errors: int = 0
    error_codes: set[str] = field(default_factory=set)
    has_data: bool = False
    # Turned away before any operation ran, whatever the status (an APQ miss answers 200).
    refused: bool = False
    budget: RequestBudget | None = None
    # The response cache's part: "hit", "miss" or "stored"; None where it took none.
    response_cache: str | None = None

    @property
    def upstream_calls(self) -> int:
        """Upstream HTTP calls the request sent, retries included."""
        return self.budget.calls if self.budget is not None else 0

    def add_errors(self, codes: Iterable[str]) -> None:
        """Errors the response carries, by code."""
        for code in codes:
            self.errors += 1
            self.error_codes.add(code)

    def add_result(self, data: object, errors: Iterable[GraphQLError] | None) -> None:
        """A GraphQL result: whether it has data, and its errors' codes."""
        self.has_data = self.has_data or data is not None
        if errors:
            self.add_errors(error_code(e) for e in errors)


def error_code(error: GraphQLError) -> str:
    """The error's ``extensions.code``, or what kind of error it is when it has none."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    return VALIDATION_FAILED if error.path is None else INTERNAL


def request_record(state: Any) -> RequestRecord | None:
    """The record in a request's state (a Starlette ``State`` or the ASGI state dict)."""
    if isinstance(state, MutableMapping):
        found = state.get(STATE_KEY)
    else:
        found = getattr(state, STATE_KEY, None)
    return found if isinstance(found, RequestRecord) else None


class OperationRecorder(PreparedExtension):
    """Notes the operation's type and name once the document is parsed.

    An operation-level hook (no ``resolve``): it costs nothing per field and leaves plans
    that bypass Strawberry's field execution free to run.
    """

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        record = _record_of(execution.context)
        if record is not None:
            record.operation_type = execution.operation_type.value
            record.operation_name = execution.operation_name
        yield

    def on_prepared(self, operation: PreparedOperation, context: Any) -> None:
        record = _record_of(context)
        if record is not None:
            # Only queries are prepared.
            record.operation_type = "query"
            record.operation_name = operation.operation_name


def _record_of(context: Any) -> RequestRecord | None:
    request = getattr(context, "request", None)
    return request_record(getattr(request, "state", None))
