"""Upstreams that gzip their answers: decoded transparently, capped after decompression."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response

from sandbox import create_app as create_sandbox
from sandbox.server import run_in_thread
from tests.conftest import SANDBOX_SETTINGS, Gateway, StartGateway, uncached_settings
from tests.upstreams import Upstream

QUERY = """{
  customers(ids: ["1", "2", "3"]) {
    id name email
    orders(first: 2) { totalCount edges { node { id total { amount currency } } } }
    loyalty { tier points }
    preferences { channel optIn }
  }
}"""


def post(url: str, query: str) -> dict[str, object]:
    response = httpx.post(f"{url}/graphql", json={"query": query}, timeout=10)
    assert response.status_code == 200
    answer: dict[str, object] = response.json()
    return answer


@pytest.fixture(scope="module")
def gzip_sandbox() -> Iterator[str]:
    # Every answer of every API compressed, however small.
    with run_in_thread(GZipMiddleware(create_sandbox(SANDBOX_SETTINGS), minimum_size=0)) as url:
        yield url


def test_gzipped_answers_give_the_same_result_as_plain_ones(
    gzip_sandbox: str, gateway: Gateway, start_gateway: StartGateway
) -> None:
    plain = post(gateway.url, QUERY)
    with start_gateway(uncached_settings(gzip_sandbox)) as url:
        compressed = post(url, QUERY)

    assert "errors" not in plain
    assert compressed == plain


def test_the_size_limit_applies_to_the_decompressed_body(start_gateway: StartGateway) -> None:
    # 64 KiB of spaces compress to well under 1 KiB: a small body that unfolds past the cap.
    bomb = gzip.compress(b"{" + b" " * 65536 + b'"customers": []}')
    upstream = Upstream()

    async def customers(request: Request) -> Response:
        return Response(
            bomb,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
        )

    app = upstream.app({"/crm/customers/batch": ("GET", customers)})
    with run_in_thread(app) as crm_url:
        settings = uncached_settings(
            crm_url,
            CG_SOURCES__CRM__MAX_RESPONSE_BYTES="4096",
        )
        with start_gateway(settings) as url:
            answer = post(url, '{ customer(id: "1") { name } }')

    assert len(bomb) < 4096
    errors = answer["errors"]
    assert isinstance(errors, list)
    assert errors[0]["extensions"]["code"] == "UPSTREAM_DATA_INVALID"
    assert errors[0]["extensions"]["source"] == "crm"
    # The gateway asked for gzip, as it does of every upstream, and said who it is.
    assert "gzip" in upstream.seen[0].headers["accept-encoding"]
    assert upstream.seen[0].headers["user-agent"].startswith("customer-graph/")
