"""What one client request may still spend upstream: time until its deadline, and retries."""

from __future__ import annotations

from core import Timer
from datasources.resilience.call_log import CallLog


class RequestBudget:
    """Shared by every upstream call of one client request.

    The deadline bounds each call, its queueing and its retries, so a slow source fails
    only its own fields and the response still arrives in time. The retry allowance is
    spent by all sources together: however many calls fail, one request adds at most
    ``retries`` calls, so retries cannot multiply the load on a struggling upstream.
    """

    def __init__(
        self,
        timer: Timer,
        timeout: float | None = None,
        retries: int | None = None,
        plan: CallLog | None = None,
    ):
        self._timer = timer
        self._timeout = timeout
        self._deadline = None if timeout is None else timer.now() + timeout
        self._allowed_retries = retries
        self._retries = retries
        # Upstream calls sent for the request so far, retries included: the access log's count.
        self.calls = 0
        # Set when the client asked for the request's query plan (docs/contracts.md).
        self.plan = plan

    def fresh(self) -> RequestBudget:
        """The same allowance again, starting now: for the next round of a long operation."""
        return RequestBudget(self._timer, self._timeout, self._allowed_retries, self.plan)

    @property
    def deadline(self) -> float | None:
        """The deadline on the timer's scale, or None."""
        return self._deadline

    def remaining(self) -> float | None:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._timer.now())

    def take_retry(self, wait: float) -> bool:
        """Spend one retry that starts after ``wait`` seconds, if one is left and it fits."""
        remaining = self.remaining()
        if remaining is not None and wait >= remaining:
            return False
        if self._retries is None:
            return True
        if self._retries <= 0:
            return False
        self._retries -= 1
        return True
