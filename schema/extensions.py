"""Schema extensions of our own: response warnings, freshness and the query plan in
``extensions``, and each operation's own allowance of upstream writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from resolvers import RequestContext
from schema.fastpath.prepared import PreparedExtension


class ResponseWarningsExtension(PreparedExtension):
    """Adds ``extensions.warnings`` when the request collected any (such as stale data)."""

    def get_results(self) -> dict[str, Any]:
        return self.prepared_results(self.execution_context.context)

    def prepared_results(self, context: Any) -> dict[str, Any]:
        if not isinstance(context, RequestContext):
            return {}
        warnings = context.warnings.as_list()
        return {"warnings": warnings} if warnings else {}


class FreshnessExtension(PreparedExtension):
    """Adds ``extensions.freshness`` (per source: fetched at, age, how it was served) when
    the request asked for it or the deployment shows it by default."""

    def get_results(self) -> dict[str, Any]:
        return self.prepared_results(self.execution_context.context)

    def prepared_results(self, context: Any) -> dict[str, Any]:
        if not isinstance(context, RequestContext) or not context.show_freshness:
            return {}
        freshness = context.freshness.as_dict()
        return {"freshness": freshness} if freshness else {}


class QueryPlanExtension(PreparedExtension):
    """Adds ``extensions.queryPlan`` when the client asked for it (docs/contracts.md)."""

    def get_results(self) -> dict[str, Any]:
        return self.prepared_results(self.execution_context.context)

    def prepared_results(self, context: Any) -> dict[str, Any]:
        if not isinstance(context, RequestContext) or context.budget.plan is None:
            return {}
        return {"queryPlan": context.budget.plan.as_json()}


class WriteAllowanceExtension(PreparedExtension):
    """Gives each operation a fresh write allowance, however many share a context (the
    operations of one WebSocket connection). Prepared operations are queries: no writes."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, RequestContext):
            context.start_operation()
        yield
