"""Prometheus metrics about upstream calls, registered in the registry they are given."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class SourceMetrics:
    """What the gateway counts about its upstreams; one instance per app."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "customer_graph_upstream_requests_total",
            "Upstream HTTP calls by source and outcome (ok or the error code).",
            ["source", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "customer_graph_upstream_request_seconds",
            "Upstream HTTP call duration, including reading the body.",
            ["source"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.invalid_fields = Counter(
            "customer_graph_upstream_invalid_fields_total",
            "Upstream record fields that failed validation and were served as null.",
            ["source", "field"],
            registry=registry,
        )
        self.retries = Counter(
            "customer_graph_upstream_retries_total",
            "Upstream calls retried, by source and the error code that caused the retry.",
            ["source", "reason"],
            registry=registry,
        )
        self.rejected = Counter(
            "customer_graph_upstream_rejected_total",
            "Upstream calls never sent: CIRCUIT_OPEN, or queued past the request deadline "
            "(UPSTREAM_RATE_LIMITED).",
            ["source", "reason"],
            registry=registry,
        )
        self.circuit = Gauge(
            "customer_graph_upstream_circuit_state",
            "1 for the current state of each source's circuit breaker, 0 for the others.",
            ["source", "state"],
            registry=registry,
        )
