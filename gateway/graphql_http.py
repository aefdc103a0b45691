"""Reading a GraphQL-over-HTTP request: method, media types, body, and the operations in it.

Everything a client can get wrong before GraphQL runs is refused here with a
``BadRequest`` (a 4xx and a GraphQL-shaped body, never a 500): a method other than GET
and POST, a body that is not UTF-8 JSON in ``application/json`` (or gzip/deflate-encoded
JSON, decoded under the body limit), a JSON value that is not an operation, parameters of
the wrong types, a batch where batching is off or too long.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cross_web import StarletteRequestAdapter
from starlette.requests import Request
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.streaming import MultipartSubscriptionTransport, SSETransport
from strawberry.types.graphql import OperationType

from core import BadRequest, MethodNotAllowed, NotAcceptable, PayloadTooLarge, UnsupportedMediaType
from gateway.request_errors import GRAPHQL_RESPONSE_JSON, JSON

_SSE = SSETransport()
_MULTIPART = MultipartSubscriptionTransport()
_JSON_KINDS = (GRAPHQL_RESPONSE_JSON, JSON, "application/*", "*/*")
_FIELDS = ("query", "variables", "operationName", "extensions")


@dataclass(frozen=True)
class ReadingRules:
    """What the reader accepts: the decoded body size, and batches (a JSON array)."""

    max_body_bytes: int
    max_batch: int = 0  # 0: batching is off

    @property
    def batching(self) -> bool:
        return self.max_batch > 0


def json_media_type(accept: str) -> tuple[str | None, int]:
    """The JSON media type to answer in (graphql-response+json when the client prefers it,
    application/json otherwise; None if it takes neither) and the position of the first
    JSON type in the header, to weigh it against a stream type."""
    if not accept.strip():
        return JSON, 0
    best: tuple[float, int] | None = None
    chosen, first = None, -1
    for position, part in enumerate(accept.split(",")):
        kind, _, params = part.partition(";")
        kind = kind.strip().lower()
        quality = _quality(params)
        if kind not in _JSON_KINDS or quality <= 0:
            continue
        first = position if first < 0 else first
        # Higher quality wins; then the earlier entry, as browsers and clients list them.
        rank = (quality, -position)
        if best is None or rank > best:
            best = rank
            chosen = GRAPHQL_RESPONSE_JSON if kind == GRAPHQL_RESPONSE_JSON else JSON
    return chosen, first


def prefers_stream(accept: str) -> bool:
    """Whether a stream type comes before any JSON type: graphql-sse and Apollo's multipart
    subscriptions list theirs first; urql lists JSON first and streams only subscriptions."""
    if stream_protocol(accept) is None:
        return False
    _, first_json = json_media_type(accept)
    if first_json < 0:
        return True
    return any(stream_protocol(part) is not None for part in accept.split(",")[:first_json])


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def stream_protocol(accept: str) -> GraphQLRequestProtocol | None:
    """The streaming transport an Accept header asks for: GraphQL over SSE, or Apollo's
    multipart subscriptions."""
    for transport in (_MULTIPART, _SSE):
        if transport.accepts(accept):
            return transport.protocol
    return None


class RequestAdapter(StarletteRequestAdapter):
    """Strawberry's view of a Starlette request, which keeps the request for our reader."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


def negotiate(request: Request, graphiql: bool) -> None:
    """Check the method and choose how to answer, in the request's state: ``media_type``
    of JSON answers, ``strict`` statuses for request errors, the ``stream`` protocol the
    client takes (for subscriptions) and whether it is ``streaming`` whatever the operation."""
    state = request.state
    state.media_type, state.strict, state.stream, state.streaming = JSON, False, None, False
    if request.method not in ("GET", "POST"):
        raise MethodNotAllowed(
            f"{request.method} is not a GraphQL-over-HTTP method: send GET or POST",
            allow="GET, POST",
        )
    if graphiql:
        return
    accept = request.headers.get("accept", "")
    media_type, _ = json_media_type(accept)
    state.stream = stream_protocol(accept)
    if media_type is None and state.stream is None:
        raise NotAcceptable(
            "the gateway answers in application/graphql-response+json or application/json"
            " (and streams subscriptions as text/event-stream or multipart/mixed)"
        )
    state.media_type = media_type or JSON
    state.streaming = state.stream is not None and prefers_stream(accept)
    # Refusals before a stream starts get statuses a stream client notices.
    state.strict = state.media_type == GRAPHQL_RESPONSE_JSON or state.streaming


def refused_operation(operation_type: OperationType, method: str) -> BadRequest:
    """The error for an operation the method or transport does not run."""
    if operation_type is OperationType.SUBSCRIPTION:
        return BadRequest(
            "a subscription needs a stream: send Accept: text/event-stream (GraphQL over SSE)"
            " or multipart/mixed;subscriptionSpec=1.0, or use the WebSocket"
        )
    if operation_type is OperationType.MUTATION:
        return MethodNotAllowed("mutations are sent with POST", allow="POST")
    return BadRequest(f"{operation_type.value} operations are not run over {method}")


async def read_operations(
    request: Request, rules: ReadingRules, protocol: GraphQLRequestProtocol
) -> GraphQLRequestData | list[GraphQLRequestData]:
    """The operation (or the batch) a GET's parameters or a POST's body carries."""
    if request.method == "GET":
        return _operation(_get_parameters(request.query_params), protocol)
    data = _decode_json(await _body(request, rules))
    if isinstance(data, list):
        if protocol != "http":
            raise BadRequest("a batch cannot be streamed; send one operation")
        if not rules.batching:
            raise BadRequest("batching is off: send one operation per request")
        if not data:
            raise BadRequest("the batch is empty")
        if len(data) > rules.max_batch:
            raise BadRequest(
                f"the batch has {len(data)} operations; at most {rules.max_batch} are allowed"
            )
        return [_operation(item, protocol) for item in data]
    return _operation(data, protocol)


def _get_parameters(params: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in _FIELDS:
        value = params.get(name)
        if value is None or value == "":
            continue
        found[name] = _decode_json(value.encode()) if name in ("variables", "extensions") else value
    return found


async def _body(request: Request, rules: ReadingRules) -> bytes:
    media_type, _, params = request.headers.get("content-type", "").partition(";")
    if media_type.strip().lower() != JSON:
        raise UnsupportedMediaType("a POSTed GraphQL request needs Content-Type: application/json")
    charset = _parameter(params, "charset")
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType("a GraphQL request body must be UTF-8")
    body = await request.body()
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _decompress(body, encoding, rules.max_body_bytes)
    raise UnsupportedMediaType(
        f"Content-Encoding {encoding[:32]!r} is not read here: send gzip, deflate or none"
    )


def _parameter(params: str, wanted: str) -> str | None:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == wanted:
            return value.strip().strip('"').lower()
    return None


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    # Decoded in one bounded step: a small bomb cannot grow past the body limit in memory.
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    decoder = zlib.decompressobj(wbits)
    try:
        decoded = decoder.decompress(body, limit + 1)
    except zlib.error:
        raise BadRequest(f"the body is not valid {encoding} data") from None
    if len(decoded) > limit or decoder.unconsumed_tail:
        raise PayloadTooLarge(f"the decoded request body is larger than {limit} bytes")
    if not decoder.eof:
        raise BadRequest(f"the {encoding} body is truncated")
    return decoded


def _decode_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson names the problem (not UTF-8, a lone surrogate, too deep) and the place.
        raise BadRequest(f"the request is not valid JSON: {exc}") from None


def _operation(data: Any, protocol: GraphQLRequestProtocol) -> GraphQLRequestData:
    if not isinstance(data, dict):
        raise BadRequest(
            "a GraphQL request is a JSON object with a 'query' (or a persisted query's hash)"
        )
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    extensions = data.get("extensions")
    if not isinstance(query, str | None):
        raise BadRequest("'query' must be a string")
    if not isinstance(variables, dict | None):
        raise BadRequest("'variables' must be an object")
    if not isinstance(operation_name, str | None):
        raise BadRequest("'operationName' must be a string")
    if not isinstance(extensions, dict | None):
        raise BadRequest("'extensions' must be an object")
    if not query and not (extensions and "persistedQuery" in extensions):
        raise BadRequest("the request has no 'query'")
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        protocol=protocol,
    )
