"""Tracing with OpenTelemetry: imported only when ``[tracing] enabled`` is set.

The gateway keeps its own ``TracerProvider`` rather than the process-wide one, so two apps
in a process (as in tests) never share exporters. Spans carry no customer ids, URLs,
query text or credentials: only the operation, sources, methods, statuses and counts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.request_record import RequestRecord
from gateway.settings import TracingSettings

_SCOPE = "customer_graph"


def otel_tracing(settings: TracingSettings) -> OtelTracing:
    """Tracing as configured: OTLP over HTTP, or spans printed on standard output."""
    exporter: SpanExporter
    if settings.exporter == "console":
        exporter = ConsoleSpanExporter(service_name=settings.service_name)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.endpoint)
    return OtelTracing(exporter, settings.service_name, settings.sample_ratio)


class OtelTracing:
    """Spans for requests and upstream calls, exported in batches by ``exporter``.

    A request whose caller sent a sampled ``traceparent`` is traced whatever the ratio; a
    new trace is kept with probability ``sample_ratio``.
    """

    def __init__(self, exporter: SpanExporter, service_name: str, sample_ratio: float) -> None:
        self._provider = TracerProvider(
            resource=Resource.create({"service.name": service_name}),
            sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
        )
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer(_SCOPE)
        self._propagator = TraceContextTextMapPropagator()
        self.upstream = _UpstreamTracer(self._tracer, self._propagator)

    @contextlib.contextmanager
    def operation(self, headers: Mapping[str, str]) -> Iterator[_OperationSpan]:
        parent = self._propagator.extract(headers)
        span = self._tracer.start_span("graphql", context=parent, kind=SpanKind.SERVER)
        # Current for the request's task and every task it starts, so upstream spans nest.
        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            yield _OperationSpan(span)
        finally:
            context.detach(token)
            span.end()

    def shutdown(self) -> None:
        self._provider.shutdown()


class _OperationSpan:
    __slots__ = ("_span",)

    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def finish(self, record: RequestRecord, status: int, outcome: str) -> None:
        span = self._span
        if not span.is_recording():
            return
        kind = record.operation_type
        # Semantic conventions: "{operation type} {operation name}".
        span.update_name(f"{kind} {record.operation_name}" if record.operation_name else kind)
        span.set_attributes(
            {
                "graphql.operation.type": kind,
                "http.response.status_code": status,
                "customer_graph.request_id": record.request_id,
                "customer_graph.outcome": outcome,
                "customer_graph.errors": record.errors,
                "customer_graph.error_codes": sorted(record.error_codes),
                "customer_graph.upstream_calls": record.upstream_calls,
            }
        )
        if record.operation_name:
            span.set_attribute("graphql.operation.name", record.operation_name)
        if outcome == "error":
            span.set_status(Status(StatusCode.ERROR))


class _UpstreamTracer:
    __slots__ = ("_propagator", "_tracer")

    def __init__(self, tracer: trace.Tracer, propagator: TraceContextTextMapPropagator) -> None:
        self._tracer = tracer
        self._propagator = propagator

    def start(self, source: str, method: str, batch_size: int | None) -> _UpstreamSpan:
        span = self._tracer.start_span(
            f"{method} {source}",
            kind=SpanKind.CLIENT,
            attributes={"http.request.method": method, "customer_graph.source": source},
        )
        if batch_size is not None:
            span.set_attribute("customer_graph.batch_size", batch_size)
        headers: dict[str, str] = {}
        self._propagator.inject(headers, context=trace.set_span_in_context(span))
        return _UpstreamSpan(span, headers)


class _UpstreamSpan:
    __slots__ = ("_span", "headers", "status")

    def __init__(self, span: trace.Span, headers: Mapping[str, str]) -> None:
        self._span = span
        self.headers = headers
        self.status: int | None = None

    def end(self, outcome: str) -> None:
        span = self._span
        if self.status is not None:
            span.set_attribute("http.response.status_code", self.status)
        if outcome != "ok":
            # Only the code: exception messages may name URLs, and with them customer keys.
            span.set_attribute("error.type", outcome)
            span.set_status(Status(StatusCode.ERROR))
        span.end()
