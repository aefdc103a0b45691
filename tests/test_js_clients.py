"""Apollo Client, urql, graphql-ws and graphql-sse, unmodified, against the real gateway.

One node process runs every check (tests/js/clients.mjs) and reports JSON; each test reads
its check. Subscriptions hear of changes the way the demo makes them: updateProfile through
the gateway, a signed notice from the sandbox's CRM, the gateway's webhook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.js_support import demo_gateway, node_packages, run_node

__all__ = ["demo_gateway", "node_packages"]


@pytest.fixture(scope="module")
def checks(node_packages: Path, demo_gateway: str) -> dict[str, Any]:
    results: dict[str, Any] = run_node(node_packages, "clients.mjs", demo_gateway)
    return results


def check(checks: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = checks[name]
    assert result["ok"], result.get("error")
    return result


def received_change(result: dict[str, Any]) -> None:
    change = result["event"]["customerChanged"]
    assert change["customerId"] == "7"
    assert change["source"] == "crm"
    assert change["customer"]["id"] == "7"
    assert change["customer"]["city"]
    assert result["latencyMs"] < 1000


def test_apollo_client_query_reads_every_source(checks: dict[str, Any]) -> None:
    customer = check(checks, "apollo query")["data"]["customer"]
    assert customer["name"] == "Elsa Johansson"
    assert customer["loyalty"]["tier"] == "BRONZE"
    assert customer["orders"]["totalCount"] == 9


def test_apollo_relay_style_pagination_merges_customer_pages_without_gaps_or_duplicates(
    checks: dict[str, Any],
) -> None:
    result = check(checks, "apollo relayStylePagination customerList")
    # Six pages of seven, three of them resumed from the middle of the page before.
    assert len(result["ids"]) == 6 * 7 - 3 * 3
    assert result["ids"] == result["reference"]
    assert result["ids"] == [str(i) for i in range(1, len(result["ids"]) + 1)]
    assert len(set(result["resumedFrom"])) == 6


def test_apollo_relay_style_pagination_merges_orders_paged_backward(
    checks: dict[str, Any],
) -> None:
    result = check(checks, "apollo relayStylePagination orders backward")
    assert result["totalCount"] == 9
    assert result["ids"] == result["reference"]
    assert len(set(result["ids"])) == 9


def test_apollo_client_sees_graphql_errors_with_their_code(checks: dict[str, Any]) -> None:
    result = check(checks, "apollo graphql error")
    assert result["name"] == "CombinedGraphQLErrors"
    assert result["codes"] == ["GRAPHQL_VALIDATION_FAILED"]


def test_apollo_persisted_queries_go_over_get_by_hash(checks: dict[str, Any]) -> None:
    result = check(checks, "apollo persisted query over GET")
    assert result["requests"] == [
        # Unknown hash (a request error under graphql-response+json), then the text once,
        # then the hash alone.
        {"method": "GET", "status": 400, "hashOnly": True},
        {"method": "POST", "status": 200, "hashOnly": False},
        {"method": "GET", "status": 200, "hashOnly": True},
    ]
    assert result["same"]
    assert result["data"]["customer"]["id"] == "5"


def test_apollo_batch_http_link_sends_one_request(checks: dict[str, Any]) -> None:
    result = check(checks, "apollo batch http link")
    assert result["httpRequests"] == 1
    assert result["operationsInBody"] == 3
    assert result["ids"] == ["3", "5", "7"]


def test_graphql_ws_link_subscription_receives_a_change(checks: dict[str, Any]) -> None:
    received_change(check(checks, "apollo GraphQLWsLink subscription"))


def test_apollo_multipart_subscription_receives_a_change(checks: dict[str, Any]) -> None:
    received_change(check(checks, "apollo multipart subscription"))


def test_urql_query(checks: dict[str, Any]) -> None:
    result = check(checks, "urql query")
    assert result.get("error") is None
    assert result["data"]["customer"]["preferences"][0]["channel"] == "EMAIL"


def test_graphql_sse_subscription_receives_a_change(checks: dict[str, Any]) -> None:
    received_change(check(checks, "graphql-sse subscription"))
