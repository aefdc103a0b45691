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
            "Upstream record fields that failed validation and were served as null; "
            'field="(key)" counts records dropped because their key matches no customer.',
            ["source", "field"],
            registry=registry,
        )
        self.invalid_responses = Counter(
            "customer_graph_upstream_invalid_responses_total",
            "Upstream responses that could not be used at all (unparsable, wrong content "
            "type, too large, missing columns); the source's fields failed for that call.",
            ["source"],
            registry=registry,
        )
        self.graphql_errors = Counter(
            "customer_graph_upstream_graphql_errors_total",
            "Customers a GraphQL upstream's answer failed with an error (UPSTREAM_ERROR), by "
            "source; every customer of the operation when the error concerns it all.",
            ["source"],
            registry=registry,
        )
        self.cache_lookups = Counter(
            "customer_graph_cache_lookups_total",
            "Records asked of the cache, by source and result (hit, stale or miss).",
            ["source", "result"],
            registry=registry,
        )
        self.cache_l2_hits = Counter(
            "customer_graph_cache_l2_hits_total",
            "Records found in Redis that this process did not hold fresh.",
            ["source"],
            registry=registry,
        )
        self.cache_entries = Gauge(
            "customer_graph_cache_entries",
            "Customers held in this process's cache, by source.",
            ["source"],
            registry=registry,
        )
        self.coalesced = Counter(
            "customer_graph_cache_coalesced_total",
            "Records that joined an upstream fetch already in flight instead of starting one.",
            ["source"],
            registry=registry,
        )
        self.stale_served = Counter(
            "customer_graph_cache_stale_served_total",
            "Records served past their ttl, by source and reason (revalidate or error).",
            ["source", "reason"],
            registry=registry,
        )
        self.redis_errors = Counter(
            "customer_graph_cache_redis_errors_total",
            "Redis operations that failed or timed out; the gateway went on without Redis.",
            ["operation"],
            registry=registry,
        )
        self.invalidations = Counter(
            "customer_graph_cache_invalidations_total",
            "Customers dropped from this process's cache, by origin (local or remote).",
            ["origin"],
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
            "Upstream calls never sent: CIRCUIT_OPEN, or UPSTREAM_RATE_LIMITED when the "
            "source's outbound limits left no turn before the request's deadline.",
            ["source", "reason"],
            registry=registry,
        )
        self.circuit = Gauge(
            "customer_graph_upstream_circuit_state",
            "1 for the current state of each source's circuit breaker, 0 for the others.",
            ["source", "state"],
            registry=registry,
        )
        self.webhooks = Counter(
            "customer_graph_webhooks_total",
            "Change notices received from upstreams, by source and outcome (accepted or the "
            "error code they were refused with).",
            ["source", "outcome"],
            registry=registry,
        )
        self.changes = Counter(
            "customer_graph_changes_total",
            "Customer changes delivered to this process's subscribers, by origin (local: a "
            "webhook this process received; remote: another replica's, through Redis).",
            ["origin"],
            registry=registry,
        )
        self.subscribers = Gauge(
            "customer_graph_change_subscribers",
            "Subscriptions to customer changes open in this process.",
            registry=registry,
        )
        self.bus_published = Counter(
            "customer_graph_bus_published_total",
            "Messages this replica appended to the replica bus, by kind (invalidate, changes).",
            ["kind"],
            registry=registry,
        )
        self.bus_received = Counter(
            "customer_graph_bus_received_total",
            "Other replicas' bus messages applied here, by kind (malformed: ignored).",
            ["kind"],
            registry=registry,
        )
        self.bus_connected = Gauge(
            "customer_graph_bus_connected",
            "1 while this replica follows the replica bus, 0 while it cannot reach Redis.",
            registry=registry,
        )
        self.bus_resumed = Counter(
            "customer_graph_bus_resumed_total",
            "Reconnections to the bus that resumed from this replica's last message.",
            registry=registry,
        )
        self.bus_gaps = Counter(
            "customer_graph_bus_gaps_total",
            "Times bus messages were missed for good and the local cache dropped, by reason "
            "(trimmed: away longer than the retention; reset: the stream was lost; "
            "started_without_redis).",
            ["reason"],
            registry=registry,
        )
        self.change_visible = Histogram(
            "customer_graph_change_visible_seconds",
            "From a change's invalidation in one replica to its copies dropped in this one.",
            registry=registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.data_age = Histogram(
            "customer_graph_data_age_seconds",
            "Age of the oldest record in each batch served, by source (0: fetched just now).",
            ["source"],
            registry=registry,
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
        )
