"""A circuit breaker per source: stop calling a failing upstream, then probe until it is back."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Literal

from core import CircuitOpen, Timer
from datasources.config import Breaker

State = Literal["closed", "open", "half_open"]
STATES: tuple[State, ...] = ("closed", "open", "half_open")

# The window is counted in this many slices, so memory stays constant whatever the traffic.
_SLICES = 10


class CircuitBreaker:
    """Closed: calls pass and outcomes are counted over a sliding window. Open: calls fail
    fast with ``CircuitOpen`` until the cool-down has passed. Half-open: up to ``probes``
    calls pass; the first outcome closes the circuit again or reopens it.
    """

    def __init__(
        self,
        source: str,
        policy: Breaker,
        timer: Timer,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self._source = source
        self._policy = policy
        self._timer = timer
        self._on_change = on_change
        self._slice = policy.window / _SLICES
        # (slice number, calls, failures), oldest first.
        self._counts: deque[list[int]] = deque(maxlen=_SLICES)
        self._state: State = "closed"
        self._opened_at = 0.0
        self._probes = 0

    @property
    def state(self) -> State:
        """The current state; an open circuit turns half-open once its cool-down is over."""
        if self._state == "open" and self._timer.now() - self._opened_at >= self._policy.cooldown:
            self._change("half_open")
        return self._state

    def admit(self) -> bool:
        """Let one call through or raise ``CircuitOpen``; True if the call is a probe."""
        state = self.state
        if state == "closed":
            return False
        if state == "half_open" and self._probes < self._policy.probes:
            self._probes += 1
            return True
        retry_in = max(0.0, self._opened_at + self._policy.cooldown - self._timer.now())
        raise CircuitOpen(
            "circuit open after repeated upstream failures; not called",
            source=self._source,
            retry_after=retry_in,
        )

    def record(self, probe: bool, failed: bool | None) -> None:
        """The outcome of an admitted call; ``failed`` is None when it ended without one."""
        if probe:
            self._probes -= 1
        if failed is None:
            return
        if probe and self._state == "half_open":
            if failed:
                self._open()
            else:
                self._change("closed")
            return
        # A call admitted before the circuit opened says nothing about the upstream now.
        if self._state != "closed":
            return
        self._count(failed)
        if failed and self._tripped():
            self._open()

    def _count(self, failed: bool) -> None:
        number = int(self._timer.now() / self._slice)
        while self._counts and self._counts[0][0] <= number - _SLICES:
            self._counts.popleft()
        if not self._counts or self._counts[-1][0] != number:
            self._counts.append([number, 0, 0])
        self._counts[-1][1] += 1
        self._counts[-1][2] += failed

    def _tripped(self) -> bool:
        calls = sum(c[1] for c in self._counts)
        failures = sum(c[2] for c in self._counts)
        policy = self._policy
        if policy.failure_count is not None and failures >= policy.failure_count:
            return True
        return (
            policy.failure_rate is not None
            and calls >= policy.min_calls
            and failures >= policy.failure_rate * calls
        )

    def _open(self) -> None:
        self._opened_at = self._timer.now()
        self._change("open")

    def _change(self, state: State) -> None:
        if state == self._state:
            return
        self._state = state
        # Each closed period judges the upstream afresh.
        self._counts.clear()
        if self._on_change is not None:
            self._on_change(state)
