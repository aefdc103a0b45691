"""The preferences API (CSV): an export of channel consents for a batch of customer references."""

from __future__ import annotations

import csv
import io

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import params
from .data import Dataset
from .keys import customer_id_of_ref
from .params import BadRequest
from .responses import bad_request

MAX_BATCH = 200
MEDIA_TYPE = "text/csv; charset=utf-8"
HEADER = ("customer_ref", "channel", "opt_in", "language", "updated")


def create_preferences_app(dataset: Dataset) -> Starlette:
    """The preferences sub-app over `dataset`."""

    async def export(request: Request) -> Response:
        refs = params.batch_keys(
            request.query_params.getlist("customer"),
            "customer",
            MAX_BATCH,
            lambda ref: customer_id_of_ref(ref) is not None,
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADER)
        for ref in refs:
            for pref in dataset.preferences(customer_id_of_ref(ref) or ""):
                writer.writerow(
                    (
                        pref.customer_ref,
                        pref.channel,
                        "Y" if pref.opt_in else "N",
                        pref.language,
                        pref.updated.strftime("%d.%m.%Y"),
                    )
                )
        # The byte-order mark is what spreadsheet tools need to read the file as UTF-8.
        return Response(buffer.getvalue().encode("utf-8-sig"), media_type=MEDIA_TYPE)

    return Starlette(
        routes=[Route("/export", export, methods=["GET"])],
        exception_handlers={BadRequest: bad_request},
    )


def requested_keys(path: str, query: QueryParams, body: bytes) -> list[str]:
    """The customer references a request asks for, as sent."""
    return query.getlist("customer") if path == "/export" else []
