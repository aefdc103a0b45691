"""Traces of GraphQL requests and their upstream calls, when ``[tracing]`` turns them on.

OpenTelemetry is an optional extra (``pip install 'customer-graph[otel]'``). It is imported
only when tracing is enabled, so a gateway without it pays nothing, not even the import.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from datasources import UpstreamTracer
from gateway.request_record import RequestRecord
from gateway.settings import ConfigError, TracingSettings


class OperationSpan(Protocol):
    """The span of one GraphQL request, current while the request runs."""

    def finish(self, record: RequestRecord, status: int, outcome: str) -> None:
        """Describe the request as it ended, before the span closes."""
        ...


class RequestTracing(Protocol):
    """Spans for GraphQL requests, and the tracer handed to the upstream clients."""

    @property
    def upstream(self) -> UpstreamTracer: ...

    def operation(self, headers: Mapping[str, str]) -> AbstractContextManager[OperationSpan]:
        """A span for one request, continuing the caller's trace if its headers carry one."""
        ...

    def shutdown(self) -> None:
        """Send the spans still buffered; called once, when the app stops."""
        ...


def open_tracing(settings: TracingSettings) -> RequestTracing | None:
    """The tracing ``settings`` ask for, or None when tracing is off."""
    if not settings.enabled:
        return None
    try:
        from gateway.otel import otel_tracing
    except ImportError as exc:
        raise ConfigError(
            [
                "tracing.enabled: OpenTelemetry is not installed; expected the otel extra "
                f"(pip install 'customer-graph[otel]'): {exc}"
            ]
        ) from None
    return otel_tracing(settings)
