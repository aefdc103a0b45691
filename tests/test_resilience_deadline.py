"""Time and size limits: a slow, hanging or endless source fails alone, and in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, StartGateway, uncached_settings

QUERY = '{ customer(id: "5") { email loyalty { tier } orders { totalCount } } }'


def error_codes(body: dict[str, Any]) -> dict[str, str]:
    return {e["extensions"]["source"]: e["extensions"]["code"] for e in body.get("errors", [])}


def test_hanging_source_fails_alone_within_the_request_deadline(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # The source's own timeouts are far longer than the deadline: the deadline decides.
    settings = uncached_settings(sandbox.url, CG_SERVER__REQUEST_DEADLINE="0.5")
    sandbox.set_faults(loyalty={"hang": True})
    with start_gateway(settings) as url:
        started = time.monotonic()
        body = Gateway(url).query(QUERY)
        elapsed = time.monotonic() - started
    customer = body["data"]["customer"]
    assert customer["email"] == sandbox.data.customer("5").email  # type: ignore[union-attr]
    assert customer["orders"]["totalCount"] == len(sandbox.data.orders("5"))
    assert customer["loyalty"] is None
    assert error_codes(body) == {"loyalty": "UPSTREAM_TIMEOUT"}
    # The deadline left no time for a retry.
    assert sandbox.calls()["loyalty"] == 1
    assert elapsed < 0.5 + 2.0


def test_total_timeout_bounds_a_call_whose_reads_keep_succeeding(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # Read timeout 5 s, total 0.3 s: a 3 s wait for the answer must end at the total.
    settings = uncached_settings(
        sandbox.url,
        CG_SOURCES__LOYALTY__TIMEOUTS__TOTAL="0.3",
        CG_SOURCES__LOYALTY__RETRIES__ATTEMPTS="1",
    )
    sandbox.set_faults(loyalty={"latency_ms": 3000})
    with start_gateway(settings) as url:
        body = Gateway(url).query(QUERY)
    assert body["data"]["customer"]["loyalty"] is None
    assert body["data"]["customer"]["email"] is not None
    assert error_codes(body) == {"loyalty": "UPSTREAM_TIMEOUT"}


def streaming_upstream(chunk: bytes, pause: float) -> Starlette:
    """An upstream answering every request 200 with a body that never ends."""

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield chunk
            await asyncio.sleep(pause)

    async def endpoint(request: Request) -> Response:
        return StreamingResponse(endless(), media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


def test_endless_body_fails_only_its_source_at_the_size_cap(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with run_in_thread(streaming_upstream(b"[" * 65536, 0)) as upstream:
        settings = uncached_settings(
            sandbox.url,
            CG_SOURCES__ORDERS__BASE_URL=upstream,
            CG_SOURCES__ORDERS__MAX_RESPONSE_BYTES=str(1024 * 1024),
        )
        with start_gateway(settings) as url:
            gateway = Gateway(url)
            body = gateway.query(QUERY)
            # The gateway goes on serving after the oversized answer.
            again = gateway.query('{ customer(id: "5") { email } }')
    assert body["data"]["customer"]["orders"] is None
    assert body["data"]["customer"]["email"] is not None
    assert body["data"]["customer"]["loyalty"] is not None
    assert error_codes(body) == {"orders": "UPSTREAM_DATA_INVALID"}
    assert "errors" not in again


def test_trickling_endless_body_fails_only_its_source_at_the_total_timeout(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # A byte every 20 ms never trips the read timeout and stays far below the size cap.
    with run_in_thread(streaming_upstream(b" ", 0.02)) as upstream:
        settings = uncached_settings(
            sandbox.url,
            CG_SOURCES__ORDERS__BASE_URL=upstream,
            CG_SOURCES__ORDERS__TIMEOUTS__TOTAL="0.3",
            CG_SOURCES__ORDERS__RETRIES__ATTEMPTS="1",
        )
        with start_gateway(settings) as url:
            body = Gateway(url).query(QUERY)
    assert body["data"]["customer"]["orders"] is None
    assert body["data"]["customer"]["email"] is not None
    assert error_codes(body) == {"orders": "UPSTREAM_TIMEOUT"}
