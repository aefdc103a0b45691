"""GraphiQL as a person gets it: headless Chromium with no host reachable but the gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.graphiql import GraphiQLPage
from tests.js_support import chromium, demo_gateway, graphiql_assets, node_packages, run_node

__all__ = ["chromium", "demo_gateway", "graphiql_assets", "node_packages"]


@pytest.fixture(scope="module")
def browsed(
    node_packages: Path,
    chromium: Path,
    graphiql_assets: Path,
    demo_gateway: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    result: dict[str, Any] = run_node(
        node_packages, "graphiql.mjs", demo_gateway, str(chromium), str(profile), timeout=180
    )
    assert "error" not in result, result["error"]
    return result


def test_graphiql_runs_an_example_query_offline(browsed: dict[str, Any], demo_gateway: str) -> None:
    assert '"customer"' in browsed["resultPane"]
    assert '"name": "Elsa Johansson"' in browsed["resultPane"].replace("\xa0", " ")
    # Every file came from the gateway; nothing tried to leave for another host.
    assert browsed["blocked"] == []
    assert all(url.startswith(demo_gateway + "/") for url in browsed["requests"])
    assert browsed["refused"] == []
    assert browsed["consoleErrors"] == []


def test_graphiql_subscription_tab_shows_a_change(browsed: dict[str, Any]) -> None:
    pane = browsed.get("subscriptionPane") or ""
    assert '"customerChanged"' in pane
    assert "Browser-" in pane


def test_graphiql_opens_with_the_example_operations_and_the_headers_hint(
    browsed: dict[str, Any],
) -> None:
    assert browsed["tabs"] == 4
    assert browsed["headersHint"]


def test_graphiql_page_without_its_files_says_how_to_get_them(tmp_path: Path) -> None:
    response = GraphiQLPage(tmp_path).render()
    assert response.status_code == 503
    body = bytes(response.body).decode()
    assert "customer-graph graphiql-assets" in body
    assert "graphiql.min.js" in body


def test_graphiql_assets_are_served_by_the_gateway(
    graphiql_assets: Path, demo_gateway: str
) -> None:
    with httpx.Client(base_url=demo_gateway) as client:
        script = client.get("/graphiql/graphiql.min.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert client.get("/graphiql/../settings.py").status_code == 404
        assert client.get("/graphiql/unknown.js").status_code == 404
