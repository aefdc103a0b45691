"""Who is calling and what they may do: tokens, API keys, permissions, query and rate limits."""

from auth.api_keys import ApiKeyRegistry, generate_api_key, hash_api_key
from auth.authenticator import Authenticator, bearer_token, identity_from_claims
from auth.config import (
    ApiKeySettings,
    AuthSettings,
    JwtSettings,
    LimitsSettings,
    QueryLimitOverrides,
    QueryLimitSettings,
    RateLimitSettings,
)
from auth.identity import Identity, IdentityKind
from auth.jwks import JwksCache
from auth.jwt import TokenVerifier
from auth.permissions import (
    PII,
    PII_FIELDS,
    READ,
    WRITE,
    AnswerPartition,
    answer_partition,
    can_list_customers,
    can_read_customer,
    can_read_field,
    can_write_customer,
)
from auth.query_limits import MAX_MEASURED_DEPTH, QueryMeasures, check_operation, check_tokens
from auth.rate_limits import IdentityRateLimiter
from auth.signatures import WebhookSignature
from auth.write_allowance import WriteAllowance, WriteLimits

__all__ = [
    "MAX_MEASURED_DEPTH",
    "PII",
    "PII_FIELDS",
    "READ",
    "WRITE",
    "AnswerPartition",
    "ApiKeyRegistry",
    "ApiKeySettings",
    "AuthSettings",
    "Authenticator",
    "Identity",
    "IdentityKind",
    "IdentityRateLimiter",
    "JwksCache",
    "JwtSettings",
    "LimitsSettings",
    "QueryLimitOverrides",
    "QueryLimitSettings",
    "QueryMeasures",
    "RateLimitSettings",
    "TokenVerifier",
    "WebhookSignature",
    "WriteAllowance",
    "WriteLimits",
    "answer_partition",
    "bearer_token",
    "can_list_customers",
    "can_read_customer",
    "can_read_field",
    "can_write_customer",
    "check_operation",
    "check_tokens",
    "generate_api_key",
    "hash_api_key",
    "identity_from_claims",
]
