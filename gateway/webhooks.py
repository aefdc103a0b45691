"""``POST /webhooks/{source}``: an upstream's signed notice that some customers changed.

An accepted notice invalidates those customers' cached records of that source (in this
process, in Redis and in the other replicas) and publishes one ``CustomerChanged`` each.
Anything else is refused before it touches the cache: 404 for a source without a webhook,
415 for a body declared as something other than JSON, 413 for a body over its limit, 401 for
a missing, forged or stale signature, 400 for a body that does not say which customers
changed, each with the status its error carries. Refusals are logged with the reason, never with
the secret or the signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth import WebhookSignature
from core import Clock, GatewayError, NotFound, PayloadTooLarge, UnsupportedMediaType
from datasources import (
    ChangeNoticeReader,
    CustomerChanged,
    SourceConfig,
)
from datasources.config import WebhookConfig
from gateway.responses import error_response
from gateway.runtime import GatewayState
from gateway.settings import ConfigError

log = structlog.get_logger("customer_graph.webhooks")


class _Receiver:
    """One source's webhook: its settings, signature check and body reader."""

    def __init__(self, name: str, config: SourceConfig, secret: str, clock: Clock) -> None:
        assert config.webhook is not None
        self.settings: WebhookConfig = config.webhook
        self.signature = WebhookSignature(secret, tolerance=self.settings.tolerance, clock=clock)
        self.reader = ChangeNoticeReader(name, config)


class WebhookEndpoint:
    """The Starlette endpoint for every source's webhook; sources and the change feed are
    those of the gateway's runtime."""

    def __init__(
        self,
        sources: Mapping[str, SourceConfig],
        secrets: Mapping[str, str],
        state: GatewayState,
        clock: Clock,
    ) -> None:
        self._receivers: dict[str, _Receiver] = {}
        for name, config in sources.items():
            if config.webhook is None:
                continue
            secret = secrets.get(config.webhook.secret_env)
            if not secret:
                # load_settings reports this already; settings built otherwise may not.
                raise ConfigError(
                    [f"sources.{name}.webhook.secret_env: no secret for {name!r}'s webhook"]
                )
            self._receivers[name] = _Receiver(name, config, secret, clock)
        self._state = state
        self._clock = clock

    async def handle(self, request: Request) -> Response:
        """Check, read and apply one notice; the JSON answer says what was done or why not."""
        name = request.path_params["source"]
        client = request.client.host if request.client else "unknown"
        metrics = self._state.source_metrics
        try:
            changed = await self._accept(name, request)
        except GatewayError as exc:
            known = name if name in self._receivers else "(unknown)"
            metrics.webhooks.labels(known, exc.code).inc()
            log.warning(
                "webhook refused",
                source=name[:64],
                code=exc.code,
                reason=exc.message,
                client=client,
            )
            return error_response(exc)
        metrics.webhooks.labels(name, "accepted").inc()
        event = changed[0].event
        log.info("webhook accepted", source=name, change=event, customers=len(changed))
        return JSONResponse(
            {
                "accepted": True,
                "source": name,
                "event": event,
                "customerIds": [c.customer_id for c in changed],
            }
        )

    async def _accept(self, name: str, request: Request) -> list[CustomerChanged]:
        receiver = self._receivers.get(name)
        if receiver is None:
            raise NotFound(f"no webhook is configured for source {name[:64]!r}")
        settings = receiver.settings
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type and media_type != "application/json" and not media_type.endswith("+json"):
            raise UnsupportedMediaType(f"a change notice is JSON, not {media_type[:64]!r}")
        body = await _read_capped(request, settings.max_body_bytes)
        receiver.signature.verify(
            body,
            request.headers.get(settings.header),
            request.headers.get(settings.timestamp_header),
        )
        notice = receiver.reader.read(body)
        runtime = self._state.started
        sources, changes = runtime.sources, runtime.changes
        await sources.invalidate(name, notice.customer_ids)
        at = datetime.fromtimestamp(self._clock(), UTC)
        changed = [CustomerChanged(cid, name, notice.event, at) for cid in notice.customer_ids]
        await changes.publish(changed)
        return changed


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the notice is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the notice is larger than {limit} bytes")
    return bytes(body)
