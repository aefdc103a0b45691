"""Prepared operations: a query text seen valid and planned runs without Strawberry's hooks.

Once an operation has gone through Strawberry's parsing, validation and extensions and ran
through a plan, its document is kept as prepared. A later request with the same text and
operation name skips the per-request cost of Strawberry's extension machinery (a context
manager per hook per extension, the parse and validation cache lookups): it runs the plan
directly, and the few extensions that matter to it take part through ``PreparedExtension``.

The lane only runs where every extension of the schema is one it honours, and only on the
happy path: whenever an extension declines (a query limit exceeded, say) or the variables do
not coerce, the request runs on Strawberry, which answers it exactly as before.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)


class PreparedExtension(SchemaExtension):
    """A schema extension that also takes part in prepared operations.

    Prepared operations call these methods instead of the usual hooks, on the instance the
    schema made at start-up (``self.execution_context`` is not set there). Each must do for a
    valid, planned query what its hooks do for it.
    """

    def accepts_prepared(
        self, operation: PreparedOperation, variables: dict[str, Any] | None, context: Any
    ) -> bool:
        """False sends the request to Strawberry (e.g. to report a refusal); no side effects."""
        return True

    def on_prepared(self, operation: PreparedOperation, context: Any) -> None:
        """Runs once every extension accepted, before the plan executes."""

    def prepared_results(self, context: Any) -> dict[str, Any]:
        """What ``get_results`` adds to the response's ``extensions``, after execution."""
        return {}


class PreparedOperation:
    """A query operation's text and validated document, as first run by Strawberry.

    ``operation_name`` is the name of the operation that runs, as Strawberry resolved it.
    """

    __slots__ = ("document", "operation_name", "query")

    def __init__(self, query: str, operation_name: str | None, document: DocumentNode) -> None:
        self.query = query
        self.operation_name = operation_name
        self.document = document


# Strawberry's own extensions whose effect prepared operations reproduce: the caches are the
# preparation itself, validation rules ran when the operation was first seen, and masking
# is applied to the plan's errors (``FastPath.execute_prepared``). Exactly these classes: a
# subclass may change what its hooks do.
HONOURED = (ParserCache, ValidationCache, DisableIntrospection, MaskErrors)


def honoured(extension: SchemaExtension) -> bool:
    """Whether prepared operations can do what this extension's hooks do."""
    return isinstance(extension, PreparedExtension) or type(extension) in HONOURED


def lane_extensions(
    extensions: list[SchemaExtension],
) -> tuple[list[PreparedExtension], list[MaskErrors]]:
    """The extensions prepared operations must consult, of extensions all ``honoured``."""
    prepared = [e for e in extensions if isinstance(e, PreparedExtension)]
    masks = [e for e in extensions if isinstance(e, MaskErrors)]
    return prepared, masks
