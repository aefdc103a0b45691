"""Signed change notices as an upstream sends them, and the config that accepts them."""

from __future__ import annotations

import json
from typing import Any

import httpx

from auth import WebhookSignature

CRM_SECRET = "crm-webhook-secret-0123456789abcdef"
LOYALTY_SECRET = "loyalty-webhook-secret-0123456789ab"


def webhook_env(**more: str) -> dict[str, str]:
    """CG_* settings giving the crm and loyalty sources a webhook, and their secrets.

    Loyalty's notices name its own member numbers, under ``data[].member``, and say what
    happened in ``type``: the mapping a real vendor would need.
    """
    return {
        "CG_SOURCES__CRM__WEBHOOK": json.dumps({"secret_env": "CRM_WEBHOOK_SECRET"}),
        "CG_SOURCES__LOYALTY__WEBHOOK": json.dumps(
            {
                "secret_env": "LOYALTY_WEBHOOK_SECRET",
                "header": "X-Loyalty-Signature",
                "timestamp_header": "X-Loyalty-Timestamp",
                "ids": "data[].member",
                "event": "type",
                "ids_are": "source_keys",
            }
        ),
        "CRM_WEBHOOK_SECRET": CRM_SECRET,
        "LOYALTY_WEBHOOK_SECRET": LOYALTY_SECRET,
        **more,
    }


def notice(customer_ids: list[Any], event: str = "updated") -> bytes:
    return json.dumps({"customer_ids": customer_ids, "event": event}).encode()


def signed(
    body: bytes,
    now: float,
    secret: str = CRM_SECRET,
    *,
    header: str = "X-Signature",
    timestamp_header: str = "X-Signature-Timestamp",
) -> dict[str, str]:
    """The headers that sign ``body`` with ``secret`` at ``now``."""
    timestamp = int(now)
    signature = WebhookSignature(secret, tolerance=1, clock=lambda: now).sign(body, timestamp)
    return {header: signature, timestamp_header: str(timestamp), "content-type": "application/json"}


def post_notice(
    http: httpx.Client, source: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return http.post(f"/webhooks/{source}", content=body, headers=headers)
