"""The preferences API (CSV): an export of channel consents, and idempotent writes per channel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import params
from .data import ChannelPreference
from .edits import EditRejected, IdempotencyLog, PreferenceStore, StoredResult
from .keys import customer_id_of_ref
from .params import BadRequest
from .responses import bad_request, error

MAX_BATCH = 200
MEDIA_TYPE = "text/csv; charset=utf-8"
HEADER = ("customer_ref", "channel", "opt_in", "language", "updated")
_CHANNEL_PATH = "/customers/{ref}/channels/{channel}"


def create_preferences_app(store: PreferenceStore) -> Starlette:
    """The preferences sub-app over `store`."""
    answers = IdempotencyLog()

    async def export(request: Request) -> Response:
        refs = params.batch_keys(
            request.query_params.getlist("customer"),
            "customer",
            MAX_BATCH,
            lambda ref: customer_id_of_ref(ref) is not None,
        )
        rows = (pref for ref in refs for pref in store.get(customer_id_of_ref(ref) or ""))
        return Response(_csv(rows), media_type=MEDIA_TYPE)

    async def put_channel(request: Request) -> Response:
        ref = request.path_params["ref"]
        customer_id = customer_id_of_ref(ref)
        if customer_id is None:
            raise BadRequest(f"malformed customer reference {ref!r}")
        channel = request.path_params["channel"]
        body = await request.body()
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        key = request.headers.get("idempotency-key")
        # Same reference, channel and fields, whatever their order: the same request.
        identity = f"{ref}/{channel}\n{urlencode(sorted(form.items()))}".encode()
        try:
            stored = answers.replay(key, identity) if key else None
        except EditRejected as exc:
            return error(exc.status, str(exc))
        if stored is None:
            try:
                pref = store.put(customer_id, channel, form)
            except EditRejected as exc:
                return error(exc.status, str(exc))
            stored = StoredResult(identity, 200, _csv([pref]))
            if key:
                answers.remember(key, stored)
        return Response(stored.body, stored.status, media_type=MEDIA_TYPE)

    return Starlette(
        routes=[
            Route("/export", export, methods=["GET"]),
            Route(_CHANNEL_PATH, put_channel, methods=["PUT"]),
        ],
        exception_handlers={BadRequest: bad_request},
    )


def _csv(rows: Iterable[ChannelPreference]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for pref in rows:
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
    return buffer.getvalue().encode("utf-8-sig")


def requested_keys(path: str, query: QueryParams, body: bytes) -> list[str]:
    """The customer references a request asks for, as sent."""
    if path == "/export":
        return query.getlist("customer")
    parts = path.split("/")
    return [parts[2]] if len(parts) == 5 and parts[1] == "customers" else []
