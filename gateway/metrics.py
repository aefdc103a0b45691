"""Prometheus metrics about GraphQL requests, beside the upstream ones of datasources.

Every label has a bounded set of values: operation types, outcomes, and error codes from a
closed list. Operation names are chosen by clients, so they label series only when an
allow-list of persisted operations bounds them (``name_operations``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from core import GatewayError
from gateway.request_record import INTERNAL, PARSE_FAILED, VALIDATION_FAILED, RequestRecord

# Refusals of persisted queries (gateway/apq.py).
_PERSISTED_QUERY_CODES = {
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_HASH_MISMATCH",
    "PERSISTED_QUERY_INVALID",
    "OPERATION_NOT_ALLOWED",
}
# The label of any code outside the closed list, so a stray code cannot add series.
OTHER_CODE = "OTHER"


def _gateway_codes(cls: type[GatewayError]) -> set[str]:
    codes = {cls.code}
    for sub in cls.__subclasses__():
        codes |= _gateway_codes(sub)
    return codes


KNOWN_CODES = frozenset(
    _gateway_codes(GatewayError)
    | _PERSISTED_QUERY_CODES
    | {PARSE_FAILED, VALIDATION_FAILED, INTERNAL}
)


def outcome(record: RequestRecord, status: int) -> str:
    """ok, partial (data with errors), error (no data, or a server error) or refused (turned
    away before running: a 4xx, or a persisted query to send again in full)."""
    if status >= 500:
        return "error"
    if status >= 400 or record.refused:
        return "refused"
    if not record.errors:
        return "ok"
    return "partial" if record.has_data else "error"


class GraphQLMetrics:
    """What the gateway counts about the GraphQL requests it serves; one instance per app."""

    def __init__(self, registry: CollectorRegistry, *, name_operations: bool = False) -> None:
        self._name_operations = name_operations
        # Each label combination's series, looked up once: labels() takes a lock every time.
        self._series: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "customer_graph_graphql_requests_total",
            "GraphQL requests by operation type, operation name (allow-listed operations "
            "only, else empty) and outcome (ok, partial, error, refused).",
            ["operation_type", "operation", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "customer_graph_graphql_request_seconds",
            "GraphQL request duration, from the first byte in to the last byte out.",
            ["operation_type", "operation"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.errors = Counter(
            "customer_graph_graphql_errors_total",
            "GraphQL responses carrying at least one error with this code.",
            ["code"],
            registry=registry,
        )
        self.upstream_calls = Histogram(
            "customer_graph_graphql_upstream_calls",
            "Upstream HTTP calls one GraphQL request sent, retries included.",
            registry=registry,
            buckets=(0, 1, 2, 4, 8, 16, 32, 64),
        )
        self.in_flight = Gauge(
            "customer_graph_graphql_requests_in_flight",
            "GraphQL requests being served now.",
            registry=registry,
        )

    def observe(self, record: RequestRecord, result: str, seconds: float) -> None:
        """Count one finished request whose ``outcome`` was ``result``."""
        operation = (record.operation_name or "") if self._name_operations else ""
        key = (record.operation_type, operation, result)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                self.requests.labels(*key),
                self.duration.labels(record.operation_type, operation),
            )
        series[0].inc()
        series[1].observe(seconds)
        self.upstream_calls.observe(record.upstream_calls)
        for code in record.error_codes:
            self.errors.labels(code if code in KNOWN_CODES else OTHER_CODE).inc()
