"""Prometheus metrics about upstream calls, registered in the registry they are given."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


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
