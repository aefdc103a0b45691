"""Compressed responses: brotli or gzip as the client accepts, above the size threshold."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import orjson

from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.test_cache import ALL_SOURCES, ids

StartGateway = Callable[..., AbstractContextManager[str]]


def fetch(url: str, encoding: str, query: str, variables: dict[str, object]) -> httpx.Response:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers={"accept-encoding": encoding},
        timeout=30,
    )
    assert response.status_code == 200
    return response


def test_compressed_responses_decode_to_the_same_json(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url)) as url:
        variables = {"ids": ids(1, 50)}
        plain = fetch(url, "identity", ALL_SOURCES, variables)
        assert "content-encoding" not in plain.headers
        for encoding in ("gzip", "br"):
            packed = fetch(url, encoding, ALL_SOURCES, variables)
            assert packed.headers["content-encoding"] == encoding
            assert int(packed.headers["content-length"]) < len(plain.content) // 3
            assert orjson.loads(packed.content) == orjson.loads(plain.content)
        both = fetch(url, "gzip, br", ALL_SOURCES, variables)
        assert both.headers["content-encoding"] == "br"


def test_small_responses_are_not_compressed(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    with start_gateway(sandbox_settings(sandbox.url)) as url:
        small = fetch(url, "gzip, br", '{ customer(id: "1") { id } }', {})
        assert "content-encoding" not in small.headers


def test_threshold_and_switch_come_from_settings(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    query = '{ customer(id: "1") { id email } }'
    tiny = sandbox_settings(sandbox.url, CG_COMPRESSION__MINIMUM_SIZE="10")
    with start_gateway(tiny) as url:
        assert fetch(url, "gzip", query, {}).headers["content-encoding"] == "gzip"
    off = sandbox_settings(sandbox.url, CG_COMPRESSION__ENABLED="false")
    with start_gateway(off) as url:
        assert (
            "content-encoding" not in fetch(url, "gzip", ALL_SOURCES, {"ids": ids(1, 50)}).headers
        )


def test_shared_gateway_compresses_too(gateway: Gateway) -> None:
    response = gateway.http.post(
        "/graphql",
        json={"query": ALL_SOURCES, "variables": {"ids": ids(1, 20)}},
        headers={"accept-encoding": "gzip"},
    )
    assert response.headers["content-encoding"] == "gzip"
    assert "errors" not in response.json()
