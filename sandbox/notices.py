"""Signed change notices from the sandbox's CRM to the gateway, as a real CRM's webhook sends.

When a customer's record changes (a PATCH), the CRM POSTs
``{"customer_ids": [...], "event": "updated"}`` to ``notify_url``, signed with HMAC-SHA256
over ``{timestamp}.{body}`` (the gateway's default webhook headers, docs/sync.md). The
notice is sent after the PATCH is answered, and a gateway that is down only costs a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import httpx
import orjson

log = logging.getLogger("customer_graph.sandbox")


class ChangeNotifier:
    """Sends one signed notice per change to the gateway's webhook."""

    def __init__(self, url: str, secret: str, timeout: float = 5.0) -> None:
        self._url = url
        self._secret = secret.encode()
        self._timeout = timeout

    async def customers_changed(self, customer_ids: list[str], event: str = "updated") -> None:
        body = orjson.dumps({"customer_ids": customer_ids, "event": event})
        timestamp = str(int(time.time()))
        signature = hmac.new(self._secret, f"{timestamp}.".encode() + body, hashlib.sha256)
        headers = {
            "content-type": "application/json",
            "x-signature-timestamp": timestamp,
            "x-signature": f"sha256={signature.hexdigest()}",
        }
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("change notice not delivered: %s", type(exc).__name__)
            return
        if response.status_code != 200:
            log.warning("change notice refused: %s %s", response.status_code, response.text[:200])
