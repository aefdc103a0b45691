"""A GraphQL source presents the upstream credentials a REST source does: a header, a bearer
token, OAuth2 client credentials, or the caller's own token.

A recording desk in front of the sandbox's support desk keeps the headers of every operation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.data import Dataset
from sandbox.server import run_in_thread
from sandbox.support import SupportDesk
from tests.conftest import SANDBOX_SETTINGS, Gateway, Sandbox, StartGateway
from tests.upstreams import Upstream, shipped_config, write_settings

QUERY = '{ customers(ids: ["1", "2"]) { id tickets { subject } } }'
TOKEN = "desk-token-5f1e"


def support_source(url: str, auth: str, extra: str, ttl: int) -> str:
    return f"""
[sources.support]
base_url = "{url}"
format = "graphql"
entity = "tickets"
key_template = "{{id:d}}"
ttl = {ttl}
auth = {auth}
{extra}

[sources.support.graphql]
path = "/graphql"
operation = "list"
field = "tickets"
argument = "customerIds"
key = "customerId"

[sources.support.fields]
subject = {{ path = "subject" }}
"""


@pytest.fixture
def desk(sandbox: Sandbox) -> Iterator[tuple[str, Upstream]]:
    """A recording proxy of the sandbox's desk, with an OAuth2 token endpoint of its own."""
    upstream = Upstream()

    async def graphql(request: Request) -> Response:
        async with httpx.AsyncClient(base_url=sandbox.url) as client:
            answer = await client.post(
                "/support/graphql",
                content=await request.body(),
                headers={"content-type": request.headers["content-type"]},
            )
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def token(request: Request) -> Response:
        return JSONResponse({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 600})

    app = upstream.app({"/graphql": ("POST", graphql), "/oauth/token": ("POST", token)})
    with run_in_thread(app) as url:
        yield url, upstream


@pytest.fixture
def desk_gateway(
    desk: tuple[str, Upstream], sandbox: Sandbox, tmp_path: Path, start_gateway: StartGateway
) -> Callable[..., AbstractContextManager[Gateway]]:
    @contextlib.contextmanager
    def start(auth: str, extra: str = "", ttl: int = 0, **env: str) -> Iterator[Gateway]:
        text = shipped_config(without=["support"]) + support_source(desk[0], auth, extra, ttl)
        settings = write_settings(tmp_path, text, SANDBOX_URL=sandbox.url, **env)
        with start_gateway(settings) as url:
            yield Gateway(url)

    return start


def _expected() -> list[dict[str, object]]:
    tickets = SupportDesk(Dataset(SANDBOX_SETTINGS), SANDBOX_SETTINGS.seed)
    return [
        {"id": cid, "tickets": [{"subject": t.subject} for t in tickets.tickets(cid)]}
        for cid in ("1", "2")
    ]


def _authorizations(upstream: Upstream) -> list[str | None]:
    return [call.headers.get("authorization") for call in upstream.calls("/graphql")]


def test_api_key_header_goes_with_the_operation(
    desk_gateway: Callable[..., AbstractContextManager[Gateway]], desk: tuple[str, Upstream]
) -> None:
    auth = '{ kind = "header", header = "X-Desk-Key", value_env = "DESK_KEY" }'
    with desk_gateway(auth, DESK_KEY="k-desk-1") as gateway:
        assert gateway.query(QUERY)["data"]["customers"] == _expected()
    (call,) = desk[1].calls("/graphql")
    assert call.headers["x-desk-key"] == "k-desk-1"
    assert call.headers["content-type"] == "application/json"
    assert call.headers["accept"].startswith("application/graphql-response+json")


def test_static_bearer_token_goes_with_the_operation(
    desk_gateway: Callable[..., AbstractContextManager[Gateway]], desk: tuple[str, Upstream]
) -> None:
    with desk_gateway('{ kind = "bearer", token_env = "DESK_TOKEN" }', DESK_TOKEN=TOKEN) as gw:
        assert gw.query(QUERY)["data"]["customers"] == _expected()
    assert _authorizations(desk[1]) == [f"Bearer {TOKEN}"]


def test_oauth2_token_is_fetched_once_for_many_operations(
    desk_gateway: Callable[..., AbstractContextManager[Gateway]], desk: tuple[str, Upstream]
) -> None:
    auth = (
        f'{{ kind = "oauth2", token_url = "{desk[0]}/oauth/token", '
        'client_id_env = "DESK_ID", client_secret_env = "DESK_SECRET" }'
    )
    with desk_gateway(auth, DESK_ID="gateway", DESK_SECRET="s3cret") as gateway:
        for _ in range(2):
            assert gateway.query(QUERY)["data"]["customers"] == _expected()
    assert len(desk[1].calls("/oauth/token")) == 1
    assert _authorizations(desk[1]) == [f"Bearer {TOKEN}"] * 2


def test_caller_token_is_forwarded_and_its_answers_never_cached(
    desk_gateway: Callable[..., AbstractContextManager[Gateway]], desk: tuple[str, Upstream]
) -> None:
    with desk_gateway('{ kind = "none" }', "forward_caller_token = true", ttl=60) as gateway:
        for caller in ("caller-a", "caller-a"):
            headers = {"authorization": f"Bearer {caller}"}
            assert gateway.query(QUERY, headers=headers)["data"]["customers"] == _expected()
    assert _authorizations(desk[1]) == ["Bearer caller-a"] * 2
