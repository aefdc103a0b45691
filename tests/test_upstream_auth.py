"""Each source authenticates to its upstream as configured; secrets never reach a client.

A secured vendor serves loyalty records behind an API key, a static bearer token, or an
OAuth2 token it issues itself, and records what it received.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import structlog
from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import UpstreamRejected
from datasources import SourceMetrics, SourceSet
from gateway.settings import ConfigError, Settings
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox
from tests.upstreams import Upstream, shipped_config, write_settings

CLIENT_ID = "gateway-client"
CLIENT_SECRET = "s3cr3t-client-value"
API_KEY = "k-9f8e7d-api-key"
STATIC_TOKEN = "static-bearer-token-1234"


@dataclass
class Vendor:
    """Issues tokens and checks them; a test can revoke every token issued so far."""

    upstream: Upstream = field(default_factory=Upstream)
    expires_in: int | None = 60
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    refuse_every_token: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def revoke_all(self) -> None:
        with self._lock:
            self.revoked.update(self.issued)

    def reset(self) -> None:
        with self._lock:
            self.issued.clear()
            self.revoked.clear()
        self.expires_in = 60
        self.refuse_every_token = False
        self.upstream.reset()

    def authorizations(self, path: str) -> list[str | None]:
        return [s.headers.get("authorization") for s in self.upstream.calls(path)]

    def app(self) -> Any:
        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("scope") != "loyalty:read"
            ):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            with self._lock:
                issued = f"tk-{len(self.issued) + 1}"
                self.issued.append(issued)
            body: dict[str, Any] = {"access_token": issued, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return JSONResponse(body)

        def members(allowed: Callable[[str | None], bool]) -> Any:
            async def endpoint(request: Request) -> Response:
                if not allowed(request.headers.get("authorization")) and not allowed(
                    request.headers.get("x-api-key")
                ):
                    return JSONResponse({"error": "unauthorized"}, status_code=401)
                ids = request.query_params["ids"].split(",")
                return JSONResponse({"members": [_member(i) for i in ids]})

            return endpoint

        def oauth_allowed(value: str | None) -> bool:
            with self._lock:
                token = (value or "").removeprefix("Bearer ")
                valid = token in self.issued and token not in self.revoked
            return valid and not self.refuse_every_token

        return self.upstream.app(
            {
                "/oauth/token": ("POST", token),
                "/apikey/members": ("GET", members(lambda v: v == API_KEY)),
                "/bearer/members": ("GET", members(lambda v: v == f"Bearer {STATIC_TOKEN}")),
                "/oauth2/members": ("GET", members(oauth_allowed)),
                "/open/members": ("GET", members(lambda v: True)),
            }
        )


def _member(cid: str) -> dict[str, Any]:
    return {"id": cid, "tier": "gold", "points": int(cid) * 10}


def loyalty_source(url: str, kind: str, auth: str, extra: str = "", ttl: int = 0) -> str:
    return f"""
[sources.loyalty]
base_url = "{url}/{kind}"
format = "json"
entity = "loyalty"
ttl = {ttl}
{extra}
auth = {auth}

[sources.loyalty.batch]
path = "/members"
ids = {{ style = "comma", name = "ids" }}
records = "members"
key = "id"

[sources.loyalty.fields]
member_number = {{ path = "id" }}
tier = {{ path = "tier" }}
points = {{ path = "points", type = "int" }}
"""


def oauth2(url: str, extra: str = "") -> str:
    return (
        f'{{ kind = "oauth2", token_url = "{url}/oauth/token", '
        'client_id_env = "LOYALTY_CLIENT_ID", client_secret_env = "LOYALTY_CLIENT_SECRET", '
        f'scope = "loyalty:read"{extra} }}'
    )


OAUTH2_ENV = {"LOYALTY_CLIENT_ID": CLIENT_ID, "LOYALTY_CLIENT_SECRET": CLIENT_SECRET}
QUERY = '{ customers(ids: ["1", "2", "3"]) { id loyalty { memberNumber points } } }'
EXPECTED = [{"id": c, "loyalty": {"memberNumber": c, "points": int(c) * 10}} for c in "123"]


@pytest.fixture(scope="module")
def vendor_server() -> Iterator[tuple[str, Vendor]]:
    vendor = Vendor()
    with run_in_thread(vendor.app()) as url:
        yield url, vendor


@pytest.fixture
def vendor(vendor_server: tuple[str, Vendor]) -> tuple[str, Vendor]:
    vendor_server[1].reset()
    return vendor_server


@pytest.fixture
def secured_gateway(
    vendor: tuple[str, Vendor],
    sandbox: Sandbox,
    tmp_path: Path,
    start_gateway: Callable[[Settings], AbstractContextManager[str]],
) -> Callable[..., AbstractContextManager[Gateway]]:
    """Start a gateway whose loyalty source is the vendor's ``kind`` endpoint."""
    url, _ = vendor

    @contextlib.contextmanager
    def start(kind: str, auth: str, extra: str = "", ttl: int = 0, **env: str) -> Iterator[Gateway]:
        text = shipped_config(without=["loyalty"]) + loyalty_source(url, kind, auth, extra, ttl)
        settings = write_settings(tmp_path, text, SANDBOX_URL=sandbox.url, **env)
        with start_gateway(settings) as gateway_url:
            yield Gateway(gateway_url)

    return start


def test_api_key_header_is_sent_from_its_environment_variable(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    auth = '{ kind = "header", header = "X-API-Key", value_env = "LOYALTY_KEY" }'
    with secured_gateway("apikey", auth, LOYALTY_KEY=API_KEY) as gateway:
        assert gateway.query(QUERY)["data"]["customers"] == EXPECTED
    (call,) = vendor[1].upstream.calls("/apikey/members")
    assert call.headers["x-api-key"] == API_KEY


def test_static_bearer_token_is_sent(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    auth = '{ kind = "bearer", token_env = "LOYALTY_TOKEN" }'
    with secured_gateway("bearer", auth, LOYALTY_TOKEN=STATIC_TOKEN) as gateway:
        assert gateway.query(QUERY)["data"]["customers"] == EXPECTED
    assert vendor[1].authorizations("/bearer/members") == [f"Bearer {STATIC_TOKEN}"]


def test_oauth2_token_is_fetched_once_and_reused(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    with (
        structlog.testing.capture_logs() as logs,
        secured_gateway("oauth2", oauth2(vendor[0]), **OAUTH2_ENV) as gateway,
    ):
        for _ in range(3):
            assert gateway.query(QUERY)["data"]["customers"] == EXPECTED
    assert vendor[1].issued == ["tk-1"]
    obtained = [e for e in logs if e["event"] == "upstream access token obtained"]
    assert obtained == [
        {
            "event": "upstream access token obtained",
            "log_level": "info",
            "source": "loyalty",
            "expires_in": 60.0,
        }
    ]
    assert "tk-1" not in repr(logs)
    assert CLIENT_SECRET not in repr(logs)
    assert vendor[1].authorizations("/oauth2/members") == ["Bearer tk-1"] * 3


def test_upstream_401_renews_the_token_and_retries_once(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    with secured_gateway("oauth2", oauth2(vendor[0]), **OAUTH2_ENV) as gateway:
        assert gateway.query(QUERY)["data"]["customers"] == EXPECTED
        vendor[1].revoke_all()
        body = gateway.query(QUERY)
    assert "errors" not in body
    assert body["data"]["customers"] == EXPECTED
    assert vendor[1].issued == ["tk-1", "tk-2"]
    assert vendor[1].authorizations("/oauth2/members") == [
        "Bearer tk-1",
        "Bearer tk-1",
        "Bearer tk-2",
    ]


def test_upstream_refusing_a_fresh_token_fails_the_source_after_one_retry(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    vendor[1].refuse_every_token = True
    with secured_gateway("oauth2", oauth2(vendor[0]), **OAUTH2_ENV) as gateway:
        body = gateway.query(QUERY)
    assert [c["loyalty"] for c in body["data"]["customers"]] == [None, None, None]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UPSTREAM_REJECTED"}
    assert vendor[1].issued == ["tk-1", "tk-2"]
    assert len(vendor[1].upstream.calls("/oauth2/members")) == 2


def test_refused_client_credentials_leak_no_secret(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    wrong = {**OAUTH2_ENV, "LOYALTY_CLIENT_SECRET": "wrong-secret-value"}
    with (
        structlog.testing.capture_logs() as logs,
        secured_gateway("oauth2", oauth2(vendor[0]), **wrong) as gateway,
    ):
        response = gateway.http.post("/graphql", json={"query": QUERY})
        metrics = gateway.http.get("/metrics").text
    body = response.json()
    assert [c["loyalty"] for c in body["data"]["customers"]] == [None, None, None]
    error = body["errors"][0]
    assert error["message"] == (
        "the upstream's token endpoint refused the client credentials (invalid_client)"
    )
    assert error["extensions"] == {"code": "UPSTREAM_REJECTED", "source": "loyalty"}
    for text in (response.text, repr(logs), metrics):
        assert "wrong-secret-value" not in text
        assert CLIENT_ID not in text
    assert vendor[1].upstream.calls("/oauth2/members") == []
    assert any(e["event"] == "gateway started" for e in logs)  # the logs were captured


def test_caller_token_is_forwarded_and_its_answers_never_cached(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    forwarding = "forward_caller_token = true"
    with secured_gateway("open", '{ kind = "none" }', extra=forwarding, ttl=60) as gateway:
        for token in ("caller-a", "caller-b", "caller-a"):
            headers = {"authorization": f"Bearer {token}"}
            assert gateway.query(QUERY, headers=headers)["data"]["customers"] == EXPECTED
        assert gateway.query(QUERY)["data"]["customers"] == EXPECTED
    # Each caller's answer came from the upstream with that caller's token, despite the ttl.
    assert vendor[1].authorizations("/open/members") == [
        "Bearer caller-a",
        "Bearer caller-b",
        "Bearer caller-a",
        None,
    ]


def test_caller_token_is_not_sent_where_not_configured(
    secured_gateway: Callable[..., AbstractContextManager[Gateway]], vendor: tuple[str, Vendor]
) -> None:
    with secured_gateway("open", '{ kind = "none" }') as gateway:
        headers = {"authorization": "Bearer caller-a"}
        assert gateway.query(QUERY, headers=headers)["data"]["customers"] == EXPECTED
    assert vendor[1].authorizations("/open/members") == [None]


def test_secret_variable_not_set_is_a_config_error(
    vendor: tuple[str, Vendor], tmp_path: Path
) -> None:
    text = shipped_config(without=["loyalty"]) + loyalty_source(
        vendor[0], "oauth2", oauth2(vendor[0])
    )
    with pytest.raises(ConfigError) as caught:
        write_settings(tmp_path, text, LOYALTY_CLIENT_ID=CLIENT_ID)
    assert caught.value.problems == [
        "sources.loyalty.auth.client_secret_env: environment variable 'LOYALTY_CLIENT_SECRET' "
        "is not set; expected the secret there"
    ]


def test_settings_never_show_resolved_secrets(vendor: tuple[str, Vendor], tmp_path: Path) -> None:
    text = shipped_config(without=["loyalty"]) + loyalty_source(
        vendor[0], "oauth2", oauth2(vendor[0])
    )
    settings = write_settings(tmp_path, text, **OAUTH2_ENV)
    assert settings.secrets == OAUTH2_ENV
    for shown in (repr(settings), settings.model_dump_json()):
        assert CLIENT_SECRET not in shown


class Clock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _source_set(settings: Settings, clock: Clock) -> SourceSet:
    return SourceSet(
        settings.sources,
        lambda config: httpx.AsyncHTTPTransport(),
        SourceMetrics(CollectorRegistry()),
        clock=clock,
        secrets=settings.secrets,
    )


@pytest.fixture
def oauth2_settings(vendor: tuple[str, Vendor], tmp_path: Path) -> Settings:
    url = vendor[0]
    auth = oauth2(url, ", refresh_before = 30")
    text = shipped_config(without=["loyalty"]) + loyalty_source(url, "oauth2", auth)
    return write_settings(tmp_path, text, **OAUTH2_ENV)


@pytest.mark.anyio
async def test_concurrent_requests_share_one_token_request(
    oauth2_settings: Settings, vendor: tuple[str, Vendor]
) -> None:
    sources = _source_set(oauth2_settings, Clock())
    try:
        results = await asyncio.gather(*(sources.fetch("loyalty", [str(i)]) for i in range(1, 11)))
    finally:
        await sources.aclose()
    points = [r.records[str(i)].points for i, r in enumerate(results, 1)]
    assert points == [i * 10 for i in range(1, 11)]
    assert vendor[1].issued == ["tk-1"]
    assert len(vendor[1].upstream.calls("/oauth2/members")) == 10


@pytest.mark.anyio
async def test_token_is_renewed_shortly_before_it_expires(
    oauth2_settings: Settings, vendor: tuple[str, Vendor]
) -> None:
    clock = Clock()
    sources = _source_set(oauth2_settings, clock)
    try:
        await sources.fetch("loyalty", ["1"])
        clock.now += 29  # the token lives 60 s and is renewed 30 s before it expires
        await sources.fetch("loyalty", ["2"])
        clock.now += 1
        await sources.fetch("loyalty", ["3"])
        clock.now += 29
        await sources.fetch("loyalty", ["4"])
    finally:
        await sources.aclose()
    assert vendor[1].issued == ["tk-1", "tk-2"]
    assert vendor[1].authorizations("/oauth2/members") == [
        "Bearer tk-1",
        "Bearer tk-1",
        "Bearer tk-2",
        "Bearer tk-2",
    ]


@pytest.mark.anyio
async def test_short_lived_token_is_kept_for_half_its_lifetime(
    oauth2_settings: Settings, vendor: tuple[str, Vendor]
) -> None:
    vendor[1].expires_in = 20
    clock = Clock()
    sources = _source_set(oauth2_settings, clock)
    try:
        await sources.fetch("loyalty", ["1"])
        clock.now += 9.5
        await sources.fetch("loyalty", ["2"])
        clock.now += 0.5
        await sources.fetch("loyalty", ["3"])
    finally:
        await sources.aclose()
    assert vendor[1].issued == ["tk-1", "tk-2"]


@pytest.mark.anyio
async def test_token_endpoint_refusal_is_an_upstream_rejection(
    oauth2_settings: Settings, vendor: tuple[str, Vendor]
) -> None:
    settings = oauth2_settings
    settings._secrets = {**OAUTH2_ENV, "LOYALTY_CLIENT_SECRET": "nope-secret"}
    sources = _source_set(settings, Clock())
    try:
        fetched = await sources.fetch("loyalty", ["1"])
    finally:
        await sources.aclose()
    error = fetched.errors["1"]
    assert isinstance(error, UpstreamRejected)
    assert "nope-secret" not in str(error)
    assert error.source_name == "loyalty"
