"""What keeps a failing or slow upstream from taking the gateway with it: the call guard
(timeouts, retries), circuit breakers, outbound quotas and the per-request budget, with
the log of its calls a query plan reads."""

from datasources.resilience.breaker import CircuitBreaker, State
from datasources.resilience.budget import RequestBudget
from datasources.resilience.call_log import CacheCounts, CallLog, LoggedCall
from datasources.resilience.guard import CallGuard
from datasources.resilience.quota import RateLimiter

__all__ = [
    "CacheCounts",
    "CallGuard",
    "CallLog",
    "CircuitBreaker",
    "LoggedCall",
    "RateLimiter",
    "RequestBudget",
    "State",
]
