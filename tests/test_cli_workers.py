"""``customer-graph serve --workers N``: each worker builds the app from the parent's config."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway import serve
from sandbox.server import run_in_thread
from tests.conftest import Sandbox

CONFIG = """
[server]
graphiql = false

[sources.crm]
base_url = "{url}/crm"
format = "json"
entity = "customer"
primary = true
fields = {{ first_name = {{ path = "first_name" }}, email = {{ path = "email" }} }}

[sources.crm.batch]
path = "/customers/batch"
ids = {{ style = "comma", name = "ids" }}
max_batch_size = 100
records = "data"
key = "id"
"""


def test_worker_app_serves_the_config_named_by_the_parent(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(CONFIG.format(url=sandbox.url), encoding="utf-8")
    monkeypatch.setenv("CUSTOMER_GRAPH_WORKER_CONFIG", str(config))
    # Logging is configured once per process: the test process keeps its own.
    logging_configured: list[tuple[str, str]] = []
    monkeypatch.setattr(serve, "configure_logging", lambda *args: logging_configured.append(args))
    with run_in_thread(serve.worker_app()) as url:
        response = httpx.post(url + "/graphql", json={"query": '{ customer(id: "3") { email } }'})
    # A development config: the answer says how fresh it is, too.
    assert response.json()["data"] == {"customer": {"email": sandbox.data.customer("3").email}}
    assert sandbox.calls()["crm"] == 1
    # The config's [logging] section applies, as it does for a single process.
    assert logging_configured == [("json", "info")]
