"""customer-graph in a real supergraph: Apollo Gateway and Hive Gateway in front of it and of
a second subgraph written with @apollo/subgraph, which extends Customer with a wishlist.

Queries cross the subgraphs both ways for 100 customers: starting here (the router then asks
the wishlist subgraph for 100 entities at once), and starting at the other subgraph (the
router then asks our ``_entities`` for 100 representations). Either way customer-graph
makes one call per upstream source the query needs, and the data is the sandbox's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Sandbox, sandbox_settings
from tests.js_support import install_node_packages, run_node

ROUTERS_DIR = Path(__file__).with_name("js_federation")
IDS = [str(i) for i in range(1, 101)]

QUERIES = {
    "ours_first": f"{{ customers(ids: {json.dumps(IDS)}) "
    "{ id name email loyalty { tier } wishlist } }",
    "theirs_first": "{ topWishers(count: 100) { id wishlist name preferences { channel } } }",
}


@pytest.fixture(scope="module")
def routers_dir() -> Path:
    return install_node_packages(ROUTERS_DIR)


def subgraph(sandbox_url: str, **env: str) -> Any:
    settings = sandbox_settings(
        sandbox_url, CG_CACHE__ENABLED="false", CG_FEDERATION__ENABLED="true", **env
    )
    return run_in_thread(create_app(settings))


@pytest.fixture(scope="module")
def answers(routers_dir: Path, sandbox_server: Sandbox) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # Apollo Gateway refuses supergraphs with @requiresScopes (only GraphOS Router enforces
    # it), which is what [federation] requires_scopes = false is for.
    with subgraph(sandbox_server.url, CG_FEDERATION__REQUIRES_SCOPES="false") as url:
        found["apollo"] = run_node(
            routers_dir, "routers.mjs", "apollo", url, sandbox_server.url, json.dumps(QUERIES)
        )
    with subgraph(sandbox_server.url) as url:
        found["hive"] = run_node(
            routers_dir, "routers.mjs", "hive", url, sandbox_server.url, json.dumps(QUERIES)
        )
    return found


@pytest.mark.parametrize("router", ["apollo", "hive"])
def test_query_starting_here_joins_the_other_subgraph(
    answers: dict[str, Any], sandbox_server: Sandbox, router: str
) -> None:
    result = answers[router]["ours_first"]
    assert "errors" not in result["answer"], result["answer"]
    customers = result["answer"]["data"]["customers"]
    data = sandbox_server.data
    assert [c["id"] for c in customers] == IDS
    for customer in customers:
        profile = data.customer(customer["id"])
        assert profile is not None
        assert customer["name"] == f"{profile.first_name} {profile.last_name}"
        assert customer["email"] == profile.email
        loyalty = data.loyalty(customer["id"])
        assert customer["loyalty"] == ({"tier": loyalty.tier.upper()} if loyalty else None)
        assert customer["wishlist"] == [f"gift-{customer['id']}", f"book-{customer['id']}"]
    assert result["calls"] == {"crm": 1, "orders": 0, "loyalty": 1, "preferences": 0, "support": 0}
    (entities,) = result["wishlist"]
    assert entities["representations"] == 100


@pytest.mark.parametrize("router", ["apollo", "hive"])
def test_query_starting_there_resolves_our_entities_in_one_round(
    answers: dict[str, Any], sandbox_server: Sandbox, router: str
) -> None:
    result = answers[router]["theirs_first"]
    assert "errors" not in result["answer"], result["answer"]
    wishers = result["answer"]["data"]["topWishers"]
    assert [w["id"] for w in wishers] == IDS
    for wisher in wishers:
        profile = sandbox_server.data.customer(wisher["id"])
        assert profile is not None
        assert wisher["name"] == f"{profile.first_name} {profile.last_name}"
        channels = [p.channel.upper() for p in sandbox_server.data.preferences(wisher["id"])]
        assert [p["channel"] for p in wisher["preferences"]] == channels
    # customers(ids:) for the same 100 customers and fields costs exactly this.
    assert result["calls"] == {"crm": 1, "orders": 0, "loyalty": 0, "preferences": 1, "support": 0}
