"""Where httpx meets the gateway: the one translation of its exceptions and of upstream
statuses into gateway errors, and the timeouts every upstream call is sent with.

Messages name only the kind of failure or the status: a transport error's own message can
carry the URL, and an upstream's body is never repeated.
"""

from __future__ import annotations

import contextlib
import email.utils
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx

from core import (
    GatewayError,
    UpstreamDataInvalid,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from datasources.config import Timeouts


def timeout_of(timeouts: Timeouts) -> httpx.Timeout:
    """httpx's timeout for a source's configured limits; ``total`` bounds the pool wait too."""
    return httpx.Timeout(timeouts.total, connect=timeouts.connect, read=timeouts.read)


@contextlib.contextmanager
def transport_errors(
    what: str, source: str, unusable: Callable[[str], GatewayError] | None = None
) -> Iterator[None]:
    """httpx's exceptions inside the block as gateway errors about ``what`` (``"upstream"``,
    ``"the upstream's token endpoint"``); ``unusable`` makes the error for a body that
    cannot be decoded."""
    try:
        yield
    except GatewayError:
        raise
    except httpx.TimeoutException as exc:
        if _refused(exc):
            raise UpstreamUnavailable(
                f"{what} unreachable ({type(exc.__cause__).__name__})", source=source
            ) from None
        raise UpstreamTimeout(f"{what} did not answer in time", source=source) from None
    except httpx.DecodingError as exc:
        reason = f"undecodable body: {exc}"
        error = unusable(reason) if unusable else UpstreamDataInvalid(reason, source=source)
        raise error from None
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(
            f"{what} unreachable ({type(exc).__name__})", source=source
        ) from None


def _refused(exc: httpx.TimeoutException) -> bool:
    # httpx-aiohttp maps every aiohttp connection error to ConnectTimeout, a refused
    # connection, a failed DNS lookup and a TLS handshake included: its cause tells. A real
    # timeout's cause is a TimeoutError (aiohttp's) or none of the OS's errors (httpcore's).
    cause = exc.__cause__
    return isinstance(cause, OSError) and not isinstance(cause, TimeoutError)


def status_error(
    status: int, headers: httpx.Headers, what: str, source: str, refused: str | None = None
) -> GatewayError | None:
    """The error an answer's status alone tells, or None for a success; ``refused`` words a
    4xx other than 429 (default: ``refused the request with {status}``)."""
    if status < 400:
        return None
    retry_after = _retry_after(headers.get("retry-after"))
    if status == 429:
        return UpstreamRateLimited(
            f"{what} rate limit reached", source=source, retry_after=retry_after
        )
    if status >= 500:
        return UpstreamUnavailable(
            f"{what} answered {status}", source=source, retry_after=retry_after
        )
    return UpstreamRejected(
        f"{what} {refused or f'refused the request with {status}'}", source=source
    )


def _retry_after(value: str | None) -> float | None:
    # Seconds, or an HTTP date (RFC 9110); anything else is ignored.
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    seconds: float = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds)
