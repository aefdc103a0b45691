"""The sandbox app: the four REST APIs and the GraphQL support desk mounted side by side, with
shared control endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from . import crm, loyalty, orders, preferences
from .control import control_routes
from .data import Dataset
from .edits import CustomerStore, PreferenceStore
from .faults import FaultMiddleware, FaultTable
from .notices import ChangeNotifier
from .openapi import crm as crm_doc
from .openapi import loyalty as loyalty_doc
from .openapi import orders as orders_doc
from .openapi import preferences as preferences_doc
from .responses import ORJSONResponse
from .settings import API_NAMES, SandboxSettings
from .stats import DocumentReader, KeyExtractor, StatsMiddleware, StatsRecorder
from .support import SupportDesk, create_support_app, graphql_request
from .support import requested_keys as support_keys


class _UpstreamAPI(NamedTuple):
    name: str
    app: ASGIApp
    requested_keys: KeyExtractor
    openapi: dict[str, Any] | None = None
    documents: DocumentReader | None = None


def create_app(settings: SandboxSettings) -> Starlette:
    """A sandbox serving `/crm`, `/orders`, `/loyalty`, `/preferences` and the GraphQL
    `/support/graphql`; state is per app."""
    dataset = Dataset(settings)
    stats = StatsRecorder(API_NAMES)
    faults = FaultTable(settings.faults, settings.seed)
    apis = (
        _UpstreamAPI(
            "crm",
            crm.create_crm_app(CustomerStore(dataset), settings.customers, _notifier(settings)),
            crm.requested_keys,
            crm_doc.DOCUMENT,
        ),
        _UpstreamAPI(
            "orders", orders.create_orders_app(dataset), orders.requested_keys, orders_doc.DOCUMENT
        ),
        _UpstreamAPI(
            "loyalty",
            loyalty.create_loyalty_app(dataset),
            loyalty.requested_keys,
            loyalty_doc.DOCUMENT,
        ),
        _UpstreamAPI(
            "preferences",
            preferences.create_preferences_app(PreferenceStore(dataset)),
            preferences.requested_keys,
            preferences_doc.DOCUMENT,
        ),
        _UpstreamAPI(
            "support",
            Starlette(
                routes=[
                    Route(
                        "/graphql",
                        create_support_app(SupportDesk(dataset, settings.seed), faults),
                        methods=["POST"],
                    )
                ]
            ),
            support_keys,
            documents=graphql_request,
        ),
    )
    routes: list[BaseRoute] = list(control_routes(stats, faults))
    for api in apis:
        if api.openapi is not None:
            # Routed ahead of the mount so fetching the document is neither counted nor faulted.
            routes.append(
                Route(f"/{api.name}/openapi.json", _document(api.openapi), methods=["GET"])
            )
        instrumented = StatsMiddleware(
            FaultMiddleware(api.app, api.name, faults),
            api.name,
            stats,
            api.requested_keys,
            api.documents,
        )
        routes.append(Mount(f"/{api.name}", app=instrumented))
    return Starlette(routes=routes)


def _notifier(settings: SandboxSettings) -> ChangeNotifier | None:
    if settings.notify_url is None or not settings.notify_secret:
        return None
    return ChangeNotifier(settings.notify_url, settings.notify_secret)


def _document(document: dict[str, Any]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return ORJSONResponse(document)

    return endpoint
