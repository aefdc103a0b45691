"""What keeps a failing or slow upstream from taking the gateway with it: the call guard
(timeouts, retries), circuit breakers, outbound quotas and the per-request budget."""

from datasources.resilience.breaker import CircuitBreaker, State
from datasources.resilience.budget import RequestBudget
from datasources.resilience.guard import CallGuard
from datasources.resilience.quota import RateLimiter

__all__ = ["CallGuard", "CircuitBreaker", "RateLimiter", "RequestBudget", "State"]
