"""Schema extensions of our own: response warnings in ``extensions``."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension

from resolvers import RequestContext


class ResponseWarningsExtension(SchemaExtension):
    """Adds ``extensions.warnings`` when the request collected any (such as stale data)."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            return {}
        warnings = context.warnings.as_list()
        return {"warnings": warnings} if warnings else {}
