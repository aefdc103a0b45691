"""``X-Query-Plan``: a client asks for the upstream calls of its query in
``extensions.queryPlan``; ``dry-run`` plans them without sending any (docs/contracts.md)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.websockets import WebSocket

from auth import Identity
from core import BadRequest, Forbidden, UpstreamSkipped
from datasources import CallLog

PLAN_HEADER: Final = "x-query-plan"
_MODES: Final = {"true": False, "dry-run": True}


class QueryPlans:
    """Who may ask for plans: anyone in development, callers with ``scope`` in production."""

    def __init__(self, *, open_to_all: bool, scope: str) -> None:
        self._open_to_all = open_to_all
        self._scope = scope

    def requested(self, request: Request | WebSocket, identity: Identity) -> CallLog | None:
        """A log for the request's plan, None when it asks for none; ``BadRequest`` for a
        value other than true and dry-run, ``Forbidden`` for a caller without the scope."""
        asked = request.headers.get(PLAN_HEADER)
        if asked is None or isinstance(request, WebSocket):
            return None
        dry_run = _MODES.get(asked.strip().lower())
        if dry_run is None:
            raise BadRequest(f"X-Query-Plan must be 'true' or 'dry-run', got {asked[:40]!r}")
        if not self._open_to_all and self._scope not in identity.scopes:
            raise Forbidden(f"query plans need the {self._scope} scope")
        return CallLog(dry_run=dry_run)


def without_planned_calls(result: Any) -> None:
    """A dry run's answer: no data (every upstream field was skipped), and only the errors
    that say something about the operation itself (validation, permissions, limits)."""
    result.data = None
    kept = [e for e in result.errors or () if not isinstance(e.original_error, UpstreamSkipped)]
    result.errors = kept or None
