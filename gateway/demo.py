"""What ``customer-graph demo`` adds to the shipped config so every feature shows: the CRM
signs a change notice for each write and the gateway accepts it, so subscriptions fire."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping

DEMO_SECRET_ENV = "CRM_WEBHOOK_SECRET"


def demo_environment(environ: Mapping[str, str], host: str, sandbox_port: int) -> dict[str, str]:
    """The environment the demo loads its settings with: the sandbox's URL, a webhook for
    the CRM and its secret (a new one per run unless ``CRM_WEBHOOK_SECRET`` is set)."""
    demo = {
        **environ,
        "SANDBOX_URL": f"http://{host}:{sandbox_port}",
        DEMO_SECRET_ENV: environ.get(DEMO_SECRET_ENV) or secrets.token_urlsafe(32),
    }
    # A webhook table of the caller's own is kept.
    demo.setdefault("CG_SOURCES__CRM__WEBHOOK", json.dumps({"secret_env": DEMO_SECRET_ENV}))
    return demo
