"""Requests the gateway cannot run as sent, and the HTTP status of every error code.

The status of an answer is decided here and nowhere else, from the code of its first error
and the media type the client accepted (the GraphQL-over-HTTP spec): with
``application/graphql-response+json`` a request error gets its 4xx; with ``application/json``
a well-formed request is answered 200 whatever GraphQL said, and only a request that is not
well-formed HTTP (bad JSON, wrong method or media type, too large) gets a 4xx. The table is
keyed by code so that it can move beside the error tree when errors carry their own status.
"""

from __future__ import annotations

from datasources import BadRequest

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"


class RequestError(BadRequest):
    """The HTTP request is not a GraphQL request the gateway can read."""

    code = "BAD_REQUEST"


class MethodNotAllowed(RequestError):
    """A method other than GET or POST, or a mutation over GET; ``allow`` names the methods."""

    code = "METHOD_NOT_ALLOWED"

    def __init__(self, message: str, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow


class UnsupportedMediaType(RequestError):
    """The body is in a media type or content encoding the gateway does not read."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class NotAcceptable(RequestError):
    """The client accepts none of the media types the gateway answers in."""

    code = "NOT_ACCEPTABLE"


class OperationResolutionFailed(RequestError):
    """The document does not say which operation to run: several and no name, or an unknown
    name (Apollo's code for it)."""

    code = "OPERATION_RESOLUTION_FAILURE"


class BadUserInput(RequestError):
    """The operation's variables do not fit it."""

    code = BAD_USER_INPUT


# With application/json these are answered 200: the request was well-formed HTTP.
_GRAPHQL_REQUEST_ERRORS = {
    PARSE_FAILED: 400,
    VALIDATION_FAILED: 400,
    BAD_USER_INPUT: 400,
    OperationResolutionFailed.code: 400,
    "QUERY_LIMIT_EXCEEDED": 400,
    # APQ clients expect the miss as an answer to retry with the text.
    "PERSISTED_QUERY_NOT_FOUND": 400,
}
_HTTP_STATUS = {
    RequestError.code: 400,
    "PERSISTED_QUERY_HASH_MISMATCH": 400,
    "PERSISTED_QUERY_INVALID": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "OPERATION_NOT_ALLOWED": 403,
    "NOT_FOUND": 404,
    MethodNotAllowed.code: 405,
    NotAcceptable.code: 406,
    "PAYLOAD_TOO_LARGE": 413,
    UnsupportedMediaType.code: 415,
    "RATE_LIMITED": 429,
    "AUTH_UNAVAILABLE": 503,
}
CODES = frozenset(_GRAPHQL_REQUEST_ERRORS) | frozenset(_HTTP_STATUS)


def status_of(code: str, *, strict: bool) -> int:
    """The HTTP status of an answer whose first error has ``code`` and nothing ran;
    ``strict`` where the client accepted graphql-response+json (or asked for a stream)."""
    graphql_status = _GRAPHQL_REQUEST_ERRORS.get(code)
    if graphql_status is not None:
        return graphql_status if strict else 200
    return _HTTP_STATUS.get(code, 400 if code != "INTERNAL" else 500)
