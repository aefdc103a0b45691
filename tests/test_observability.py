"""Operations: request ids, access logs, GraphQL metrics, traces and readiness."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.app import create_app
from gateway.otel import OtelTracing
from gateway.serve import GatewayServer
from gateway.settings import ConfigError
from sandbox.server import run_in_thread
from tests.conftest import FakeTimer, Sandbox, StartGateway, sandbox_settings, uncached_settings
from tests.tokens import PII_PARTNER_KEY, Clock, auth_env, bearer, hs256, staff_claims

FOUR_SOURCES = """query Everything {
  customers(ids: ["1", "2", "42"]) {
    id name orders(first: 1) { totalCount } loyalty { tier } preferences { channel }
  }
}"""
CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


@contextmanager
def captured_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every structlog event, with the context variables bound where it was logged.

    Like ``structlog.testing.capture_logs``, the processor list is changed in place, so
    loggers that cached the configuration capture too.
    """
    capture = structlog.testing.LogCapture()
    processors = structlog.get_config()["processors"]
    previous = processors.copy()
    processors[:] = [structlog.contextvars.merge_contextvars, capture]
    structlog.configure(processors=processors)
    try:
        yield capture.entries
    finally:
        processors[:] = previous
        structlog.configure(processors=processors)


def access_lines(entries: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [e for e in entries if e["event"] == "graphql request"]


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the /metrics text; 0 when the series does not exist."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def post(url: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body, timeout=10, **kw)


# --- request ids and access logs -------------------------------------------------------------


def test_request_id_is_echoed_and_carried_by_upstream_logs(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # Loyalty's answer for 30 customers exceeds this cap: its client logs an unusable response.
    settings = uncached_settings(sandbox.url, CG_SOURCES__LOYALTY__MAX_RESPONSE_BYTES="1024")
    ids = json.dumps([str(n) for n in range(1, 31)])
    query = {"query": f"{{ customers(ids: {ids}) {{ name loyalty {{ tier }} }} }}"}
    with captured_logs() as entries, start_gateway(settings) as url:
        given = post(url, query, headers={"x-request-id": "checkout-7f3a"})
        generated = post(url, query)
        unusable = post(url, query, headers={"x-request-id": "no spaces\tor tabs"})

    assert given.headers["x-request-id"] == "checkout-7f3a"
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", unusable.headers["x-request-id"])
    upstream = [e for e in entries if e["event"] == "unusable upstream response"]
    assert [e["request_id"] for e in upstream] == [
        "checkout-7f3a",
        generated.headers["x-request-id"],
        unusable.headers["x-request-id"],
    ]
    assert [e["source"] for e in upstream] == ["loyalty"] * 3
    assert [e["request_id"] for e in access_lines(entries)] == [
        r.headers["x-request-id"] for r in (given, generated, unusable)
    ]


def test_one_access_line_per_request_with_its_operation_duration_and_upstream_calls(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    # Loyalty asks for one second's patience once: one retry, one second on the timer.
    sandbox.set_faults(loyalty={"fail_next": 1, "status": 503, "retry_after": 1})
    with (
        captured_logs() as entries,
        start_gateway(uncached_settings(sandbox.url), timer=timer) as url,
    ):
        answer = post(url, {"query": FOUR_SOURCES})
        # Neither the GraphiQL page nor the probes are GraphQL requests.
        assert httpx.get(f"{url}/graphql", headers={"accept": "text/html"}).status_code == 200
        assert httpx.get(f"{url}/healthz").status_code == 200

    assert answer.status_code == 200
    assert "errors" not in answer.json()
    (line,) = access_lines(entries)
    assert line == {
        "event": "graphql request",
        "log_level": "info",
        "request_id": answer.headers["x-request-id"],
        "method": "POST",
        "status": 200,
        "outcome": "ok",
        "operation_type": "query",
        "operation_name": "Everything",
        "client_kind": "anonymous",
        "client_id": "127.0.0.1",
        "duration_ms": 1000.0,
        "errors": 0,
        "error_codes": [],
        "upstream_calls": 5,
        "response_cache": None,
    }


def test_repeated_operations_are_logged_as_the_first_one(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # From the second request on, the text runs as a prepared operation, past Strawberry's
    # hooks: its access line must name the operation all the same, with or without a name sent.
    named = {"query": FOUR_SOURCES, "operationName": "Everything"}
    with captured_logs() as entries, start_gateway(uncached_settings(sandbox.url)) as url:
        answers = [post(url, body).json() for body in ({"query": FOUR_SOURCES}, named, named)]

    assert answers[0] == answers[1] == answers[2]
    lines = access_lines(entries)
    assert [(e["operation_type"], e["operation_name"], e["upstream_calls"]) for e in lines] == [
        ("query", "Everything", 4)
    ] * 3


def test_access_lines_name_callers_and_refusals_but_never_credentials(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    token = hs256(staff_claims("customers:read", subject="staff-9"))
    settings = sandbox_settings(sandbox.url, **auth_env())
    query = {"query": '{ customer(id: "3") { id } }'}
    with captured_logs() as entries, start_gateway(settings, clock=Clock()) as url:
        statuses = [
            post(url, query, headers=bearer(token)).status_code,
            post(url, query, headers={"x-api-key": PII_PARTNER_KEY}).status_code,
            post(url, query, headers=bearer(token + "x")).status_code,
            post(url, query).status_code,
        ]

    assert statuses == [200, 200, 401, 401]
    lines = access_lines(entries)
    assert [(e["client_kind"], e["client_id"], e["outcome"]) for e in lines] == [
        ("staff", "staff-9", "ok"),
        ("partner", "bank", "ok"),
        (None, None, "refused"),
        (None, None, "refused"),
    ]
    assert [e["error_codes"] for e in lines[2:]] == [["UNAUTHENTICATED"]] * 2
    logged = repr(entries)
    for secret in (token, token.rsplit(".", 1)[-1], PII_PARTNER_KEY):
        assert secret not in logged


# --- GraphQL metrics -------------------------------------------------------------------------


def test_metrics_count_requests_by_type_and_outcome_and_errors_by_code(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    with start_gateway(uncached_settings(sandbox.url), timer=timer) as url:
        for customer in ("1", "2"):
            post(url, {"query": f'{{ customer(id: "{customer}") {{ name }} }}'})
        sandbox.set_faults(loyalty={"failure_rate": 1.0, "status": 500})
        partial = post(url, {"query": '{ customer(id: "42") { name loyalty { tier } } }'})
        post(url, {"query": "{ customer(id: 1) { nope } }"})
        post(url, {"query": 'mutation { updateProfile(id: "1") { id } }'})
        post(url, {"query": "{ customer("})
        not_json = httpx.post(
            f"{url}/graphql", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400
        # A persisted query the gateway does not know: the client sends it again in full.
        unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
        assert post(url, {"extensions": unknown}).status_code == 200
        text = httpx.get(f"{url}/metrics").text

    assert partial.json()["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    requests = "customer_graph_graphql_requests_total"
    counts = {
        (kind, outcome): metric(text, requests, operation_type=kind, operation="", outcome=outcome)
        for kind in ("query", "mutation", "unknown")
        for outcome in ("ok", "partial", "error", "refused")
    }
    assert {k: v for k, v in counts.items() if v} == {
        ("query", "ok"): 2,
        ("query", "partial"): 1,
        ("query", "error"): 1,
        ("mutation", "error"): 1,
        ("unknown", "error"): 1,
        ("unknown", "refused"): 2,
    }
    errors = "customer_graph_graphql_errors_total"
    assert metric(text, errors, code="UPSTREAM_UNAVAILABLE") == 1
    assert metric(text, errors, code="GRAPHQL_VALIDATION_FAILED") == 2
    assert metric(text, errors, code="GRAPHQL_PARSE_FAILED") == 1
    assert metric(text, errors, code="BAD_REQUEST") == 1
    assert metric(text, errors, code="PERSISTED_QUERY_NOT_FOUND") == 1
    # The failing loyalty call was tried three times: 1 + 1 + (1 + 3) upstream calls.
    assert metric(text, "customer_graph_graphql_upstream_calls_sum") == 6
    assert (
        metric(
            text,
            "customer_graph_graphql_request_seconds_count",
            operation_type="query",
            operation="",
        )
        == 4
    )
    assert metric(text, "customer_graph_graphql_requests_in_flight") == 0


def test_an_upstream_call_cut_off_at_its_timeout_counts_as_a_timeout_not_ok(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    sandbox.set_faults(orders={"hang": True})
    settings = uncached_settings(
        sandbox.url,
        CG_SOURCES__ORDERS__TIMEOUTS__TOTAL="0.3",
        CG_SOURCES__ORDERS__RETRIES__ATTEMPTS="1",
    )
    with start_gateway(settings) as url:
        post(url, {"query": '{ customer(id: "3") { orders(first: 1) { totalCount } } }'})
        text = httpx.get(f"{url}/metrics").text

    upstream = "customer_graph_upstream_requests_total"
    assert metric(text, upstream, source="orders", outcome="UPSTREAM_TIMEOUT") == 1
    assert metric(text, upstream, source="orders", outcome="ok") == 0
    assert metric(text, "customer_graph_graphql_errors_total", code="UPSTREAM_TIMEOUT") == 1


def test_operation_names_label_metrics_only_under_an_allow_list(
    sandbox: Sandbox, start_gateway: StartGateway, tmp_path: Path
) -> None:
    query = 'query Email { customer(id: "3") { email } }'
    manifest = tmp_path / "operations.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "x", "name": "Email", "type": "query", "body": query}],
            }
        )
    )
    texts = []
    for env in ({}, {"CG_APQ__ALLOW_LIST": str(manifest)}):
        with start_gateway(uncached_settings(sandbox.url, **env)) as url:
            assert post(url, {"query": query}).status_code == 200
            texts.append(httpx.get(f"{url}/metrics").text)

    name = "customer_graph_graphql_requests_total"
    labels = {"operation_type": "query", "outcome": "ok"}
    assert metric(texts[0], name, operation="", **labels) == 1
    assert metric(texts[1], name, operation="Email", **labels) == 1


def test_every_metric_on_the_endpoint_is_documented_and_every_documented_one_exists(
    gateway_server: Any,
) -> None:
    text = httpx.get(f"{gateway_server.url}/metrics").text
    served = {f.name for f in text_string_to_metric_families(text)}
    # The client library adds a _created series to some families; they need no docs.
    ours = {n for n in served if n.startswith("customer_graph_") and not n.endswith("_created")}
    documented = set(re.findall(r"^\| `(customer_graph_\w+)`", DOCS.read_text(), re.MULTILINE))
    # The client library names counters without their _total suffix.
    documented = {n.removesuffix("_total") for n in documented}
    assert ours == documented
    assert {"process_resident_memory_bytes", "python_gc_collections"} <= served


# --- traces ------------------------------------------------------------------------------------


def test_a_query_over_four_sources_is_one_operation_span_with_four_upstream_children(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    exporter = InMemorySpanExporter()
    tracing = OtelTracing(exporter, "customer-graph-test", 1.0)
    incoming = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    with start_gateway(uncached_settings(sandbox.url), tracing=tracing) as url:
        answer = post(url, {"query": FOUR_SOURCES}, headers={"traceparent": incoming})
        events = {api: s["events"] for api, s in sandbox.stats().items()}
    # The gateway has stopped: its spans are flushed.
    spans = exporter.get_finished_spans()

    assert answer.status_code == 200
    (operation,) = [s for s in spans if s.kind is SpanKind.SERVER]
    upstream = sorted((s for s in spans if s.kind is SpanKind.CLIENT), key=lambda s: s.name)
    assert len(spans) == 5
    assert operation.name == "query Everything"
    assert f"{operation.context.trace_id:032x}" == CLIENT_TRACE
    assert operation.parent is not None
    assert f"{operation.parent.span_id:016x}" == CLIENT_SPAN
    assert dict(operation.attributes or {}) == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "Everything",
        "http.response.status_code": 200,
        "customer_graph.request_id": answer.headers["x-request-id"],
        "customer_graph.outcome": "ok",
        "customer_graph.errors": 0,
        "customer_graph.error_codes": (),
        "customer_graph.upstream_calls": 4,
    }
    assert [s.name for s in upstream] == [
        "GET crm",
        "GET orders",
        "GET preferences",
        "POST loyalty",
    ]
    for span in upstream:
        assert span.parent is not None
        assert span.parent.span_id == operation.context.span_id
        assert span.context.trace_id == operation.context.trace_id
        method, source = span.name.split()
        # Source, method, status and batch size: no ids, URLs or credentials.
        assert dict(span.attributes or {}) == {
            "http.request.method": method,
            "customer_graph.source": source,
            "customer_graph.batch_size": 3,
            "http.response.status_code": 200,
        }
        (event,) = events[source]
        assert event["traceparent"] == f"00-{CLIENT_TRACE}-{span.context.span_id:016x}-01"


def test_a_failed_upstream_call_is_an_error_span_with_its_code(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    exporter = InMemorySpanExporter()
    tracing = OtelTracing(exporter, "customer-graph-test", 1.0)
    sandbox.set_faults(loyalty={"failure_rate": 1.0, "status": 500})
    settings = uncached_settings(sandbox.url, CG_SOURCES__LOYALTY__RETRIES__ATTEMPTS="1")
    with start_gateway(settings, timer=FakeTimer(), tracing=tracing) as url:
        post(url, {"query": '{ customer(id: "42") { name loyalty { tier } } }'})
    spans = {s.name: s for s in exporter.get_finished_spans()}

    loyalty = spans["POST loyalty"]
    assert loyalty.status.status_code is StatusCode.ERROR
    assert loyalty.attributes is not None
    assert loyalty.attributes["error.type"] == "UPSTREAM_UNAVAILABLE"
    assert loyalty.attributes["http.response.status_code"] == 500
    assert spans["query"].attributes is not None
    assert spans["query"].attributes["customer_graph.outcome"] == "partial"


def test_traces_reach_an_otlp_collector(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    received: list[bytes] = []

    async def collect(request: Request) -> Response:
        received.append(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    collector = Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])])
    with run_in_thread(collector) as collector_url:
        settings = uncached_settings(
            sandbox.url,
            CG_TRACING__ENABLED="true",
            CG_TRACING__ENDPOINT=f"{collector_url}/v1/traces",
            CG_TRACING__SERVICE_NAME="graph-under-test",
        )
        with start_gateway(settings) as url:
            post(url, {"query": '{ customer(id: "3") { name } }'})

    exported = ExportTraceServiceRequest()
    for body in received:
        exported.MergeFromString(body)
    (resource,) = exported.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    names = sorted(s.name for scope in resource.scope_spans for s in scope.spans)
    assert service["service.name"] == "graph-under-test"
    assert names == ["GET crm", "query"]


NO_TRACING = """
import json
import sys

if sys.argv[2] == "uninstalled":
    sys.modules["opentelemetry"] = None  # as if the otel extra were not installed

from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import DEFAULT_CONFIG, load_settings

settings = load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": sys.argv[1]})
with TestClient(create_app(settings)) as client:
    answer = client.post("/graphql", json={"query": '{ customer(id: "3") { name } }'})
    assert answer.json()["data"]["customer"]["name"], answer.text
loaded = [m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]]
print(json.dumps({"ours": "gateway.otel" in sys.modules, "opentelemetry": loaded}))
"""


@pytest.mark.parametrize("extra", ["installed", "uninstalled"])
def test_without_tracing_the_tracing_code_is_never_imported(sandbox: Sandbox, extra: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_TRACING, sandbox.url, extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded["ours"] is False
    if extra == "uninstalled":
        # The gateway serves without the extra (a library that uses it when present is fine).
        assert loaded["opentelemetry"] == []


def test_tracing_without_the_extra_is_a_configuration_error(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the otel extra were not installed.
    monkeypatch.setitem(sys.modules, "gateway.otel", None)
    settings = uncached_settings(sandbox.url, CG_TRACING__ENABLED="true")
    with pytest.raises(ConfigError) as raised:
        create_app(settings)
    assert "pip install 'customer-graph[otel]'" in str(raised.value)


# --- readiness ---------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool]) -> None:
    give_up = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < give_up, "condition never held"
        time.sleep(0.01)


def test_verbose_readiness_tells_serving_from_draining(sandbox: Sandbox) -> None:
    timer = FakeTimer()
    settings = uncached_settings(sandbox.url)
    server = GatewayServer(
        create_app(settings),
        settings.server.model_copy(update={"port": 0, "shutdown_delay": 5}),
        timer,
        log_level="warning",
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        serving = httpx.get(f"{url}/readyz", params={"verbose": "1"})
        brief = httpx.get(f"{url}/readyz")
        server.handle_exit(signal.SIGTERM, None)
        draining = httpx.get(f"{url}/readyz", params={"verbose": "1"})
    finally:
        timer.advance(5)
        thread.join(10)

    circuits = {name: {"circuit": "closed"} for name in settings.sources}
    assert (serving.status_code, serving.json()) == (
        200,
        {"ready": True, "phase": "serving", "sources": circuits},
    )
    assert brief.json() == {"ready": True, "sources": circuits}
    assert (draining.status_code, draining.json()) == (
        503,
        {"ready": False, "phase": "draining", "sources": circuits},
    )
