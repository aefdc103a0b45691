"""The one error hierarchy of the gateway.

Every error a client can see carries a GraphQL ``code``, the HTTP ``status`` of a response
that this error alone decides (a refused request; inside a GraphQL answer errors travel with
status 200; see ``gateway/request_errors.py`` for the media types), and, where one is to
blame, the source. graphql-core turns an instance raised
or returned by a resolver into a located GraphQL error and copies ``extensions``; the
gateway turns one that refuses a whole request into a response in one place
(``gateway/responses.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_NO_HEADERS: Mapping[str, str] = {}


class GatewayError(Exception):
    """Something the client should hear about, with a stable machine-readable code."""

    code = "INTERNAL"
    status = 500

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        customer_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        # Not named ``source``: graphql-core reads that attribute as a GraphQL document.
        self.source_name = source
        self.customer_id = customer_id

    @property
    def extensions(self) -> dict[str, Any]:
        """The GraphQL error extensions; graphql-core copies them onto the located error."""
        ext: dict[str, Any] = {"code": self.code}
        if self.source_name is not None:
            ext["source"] = self.source_name
        if self.customer_id is not None:
            ext["customerId"] = self.customer_id
        return ext

    @property
    def headers(self) -> Mapping[str, str]:
        """Headers a response refusing the request with this error carries."""
        return _NO_HEADERS


class UpstreamError(GatewayError):
    """An upstream could not give us what we asked for."""

    code = "UPSTREAM_UNAVAILABLE"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        customer_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, source=source, customer_id=customer_id)
        # Seconds the upstream asked us to wait before trying again (its Retry-After).
        self.retry_after = retry_after


class UpstreamUnavailable(UpstreamError):
    """The upstream refused the connection, dropped it, or answered with a server error."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer within its timeout or the request's deadline."""

    code = "UPSTREAM_TIMEOUT"
    status = 504


class UpstreamRateLimited(UpstreamError):
    """The upstream answered 429, or our own outbound limit for it is exhausted."""

    code = "UPSTREAM_RATE_LIMITED"
    status = 503


class OutboundLimitReached(UpstreamRateLimited):
    """Our own limits for the source left the call no turn before the request's deadline."""


class UpstreamRejected(UpstreamError):
    """The upstream answered 4xx to a request we built: a bug or a config mismatch."""

    code = "UPSTREAM_REJECTED"


class UpstreamGraphQLError(UpstreamError):
    """A GraphQL upstream answered with errors for what we asked; its message and the path
    of the failure in its answer are kept in ``extensions.upstream``."""

    code = "UPSTREAM_ERROR"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        customer_id: str | None = None,
        path: tuple[str | int, ...] = (),
    ) -> None:
        super().__init__(message, source=source, customer_id=customer_id)
        self.upstream_path = path

    @property
    def extensions(self) -> dict[str, Any]:
        ext = super().extensions
        ext["upstream"] = {"message": self.message, "path": list(self.upstream_path)}
        return ext


class CircuitOpen(UpstreamError):
    """The source's circuit breaker is open; the call was not attempted."""

    code = "CIRCUIT_OPEN"
    status = 503


class UpstreamSkipped(UpstreamError):
    """A dry run of the query plan: the call was planned, not sent (docs/contracts.md)."""

    code = "UPSTREAM_SKIPPED"
    status = 200


class UpstreamDataInvalid(GatewayError):
    """The upstream answered, but the payload or one of its fields is not what we expect."""

    code = "UPSTREAM_DATA_INVALID"
    status = 502


class BadRequest(GatewayError):
    """The client's request is malformed or asks for something impossible."""

    code = "BAD_REQUEST"
    status = 400


class UnsupportedMediaType(BadRequest):
    """The request body is in a media type (or content coding) the endpoint does not read."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class MethodNotAllowed(BadRequest):
    """A method the endpoint does not serve, or a mutation over GET; ``allow`` names the
    methods that would do."""

    code = "METHOD_NOT_ALLOWED"
    status = 405

    def __init__(self, message: str, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow

    @property
    def headers(self) -> Mapping[str, str]:
        return {"Allow": self.allow}


class NotAcceptable(BadRequest):
    """The client accepts none of the media types the gateway answers in."""

    code = "NOT_ACCEPTABLE"
    status = 406


class OperationResolutionFailed(BadRequest):
    """The document does not say which operation to run: several and no name, or an unknown
    name (Apollo's code for it)."""

    code = "OPERATION_RESOLUTION_FAILURE"


class BadUserInput(BadRequest):
    """The operation's variables or arguments do not fit it."""

    code = "BAD_USER_INPUT"


class IdempotencyKeyReused(GatewayError):
    """The idempotency key was first used with a different request; nothing was written."""

    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422


class Unauthenticated(GatewayError):
    """The request has no acceptable credentials: none, or a token or key we cannot accept."""

    code = "UNAUTHENTICATED"
    status = 401


class AuthUnavailable(GatewayError):
    """A token could not be checked because the identity provider's keys cannot be fetched."""

    code = "AUTH_UNAVAILABLE"
    status = 503

    @property
    def headers(self) -> Mapping[str, str]:
        # The keys are fetched again within seconds; a client need not wait long.
        return {"Retry-After": "5"}


class Forbidden(GatewayError):
    """The caller is known but may not see this customer or this field."""

    code = "FORBIDDEN"
    status = 403

    def __init__(
        self, message: str, *, customer_id: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message, customer_id=customer_id)
        self.field = field

    @property
    def extensions(self) -> dict[str, Any]:
        ext = super().extensions
        if self.field is not None:
            ext["field"] = self.field
        return ext


class QueryLimitExceeded(GatewayError):
    """The operation is deeper, wider or costlier than the caller's client class may send."""

    code = "QUERY_LIMIT_EXCEEDED"
    status = 400

    def __init__(self, message: str, *, limit: str, maximum: int, actual: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.actual = actual

    @property
    def extensions(self) -> dict[str, Any]:
        return {
            **super().extensions,
            "limit": self.limit,
            "max": self.maximum,
            "actual": self.actual,
        }


class RateLimited(GatewayError):
    """The caller sent more requests than its rate limit allows; retry after a while."""

    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, Any]:
        return {**super().extensions, "retryAfter": self.retry_after}

    @property
    def headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(self.retry_after)}


class NotFound(GatewayError):
    """The request names something the gateway does not have, such as a webhook."""

    code = "NOT_FOUND"
    status = 404


class ChangesMissed(GatewayError):
    """A subscriber fell behind, or the gateway lost its feed, so changes went undelivered."""

    code = "CHANGES_MISSED"
    status = 503


class PayloadTooLarge(GatewayError):
    """The request body is larger than the gateway accepts."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class PersistedQueryNotFound(GatewayError):
    """A persisted query was named by a hash this gateway has not registered."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 400


class PersistedQueryHashMismatch(GatewayError):
    """A persisted query's text does not have the SHA-256 the request names."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"
    status = 400


class PersistedQueryInvalid(GatewayError):
    """``extensions.persistedQuery`` is not a version 1 entry with a SHA-256 hash."""

    code = "PERSISTED_QUERY_INVALID"
    status = 400


class OperationNotAllowed(GatewayError):
    """The operation is not on this deployment's allow list."""

    code = "OPERATION_NOT_ALLOWED"
    status = 403


def statuses() -> dict[str, int]:
    """The HTTP status of every code of the tree, for answers that carry only codes."""
    found: dict[str, int] = {}
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        kind = pending.pop()
        # A subclass that keeps its parent's code (OutboundLimitReached) keeps its status.
        found.setdefault(kind.code, kind.status)
        pending.extend(kind.__subclasses__())
    return found
