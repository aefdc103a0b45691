"""The HTTP status of an answer that ran nothing, by the code of its first error and the
media type the client accepted (the GraphQL-over-HTTP spec).

Every error of the tree carries its status (``core/errors.py``); graphql-core's parse and
validation errors carry only the codes given them here. With
``application/graphql-response+json`` a request error gets its 4xx; with
``application/json`` a well-formed request is answered 200 whatever GraphQL said, and only a
request that is not well-formed HTTP (bad JSON, wrong method or media type, too large) gets
its 4xx.
"""

from __future__ import annotations

from typing import Final

from core import (
    BadUserInput,
    OperationResolutionFailed,
    PersistedQueryNotFound,
    QueryLimitExceeded,
    statuses,
)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = BadUserInput.code

_STATUSES: Final = {**statuses(), PARSE_FAILED: 400, VALIDATION_FAILED: 400}
# Errors of a well-formed request: with application/json they are answered 200.
_GRAPHQL_REQUEST_ERRORS: Final = frozenset(
    {
        PARSE_FAILED,
        VALIDATION_FAILED,
        BAD_USER_INPUT,
        OperationResolutionFailed.code,
        QueryLimitExceeded.code,
        # APQ clients expect the miss as an answer, then send the text.
        PersistedQueryNotFound.code,
    }
)


def status_of(code: str, *, strict: bool) -> int:
    """The HTTP status of an answer whose first error has ``code`` and nothing ran;
    ``strict`` where the client accepted graphql-response+json (or asked for a stream)."""
    if code in _GRAPHQL_REQUEST_ERRORS and not strict:
        return 200
    return _STATUSES.get(code, 400)
