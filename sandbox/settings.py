"""Configuration of a sandbox app: dataset size, seed and per-API faults."""

from __future__ import annotations

from dataclasses import dataclass, field

API_NAMES = ("crm", "orders", "loyalty", "preferences", "support")


@dataclass
class Fault:
    """Misbehaviour injected into one API; mutable so it can be changed while the app runs."""

    latency_ms: float = 0
    failure_rate: float = 0.0
    status: int = 500
    retry_after: float | None = None
    fail_next: int = 0
    hang: bool = False
    drop_after_apply: int = 0
    # "OLD>NEW": every OLD in the API's answers reads NEW, as when an upstream's words drift.
    replace: str = ""
    # GraphQL APIs only: every Nth customer's tickets fail (an error at their path, the rest
    # of the answer kept), or come with invalid values.
    error_every: int = 0
    invalid_every: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.latency_ms < 0:
            problems.append("latency_ms must be >= 0")
        if not 0.0 <= self.failure_rate <= 1.0:
            problems.append("failure_rate must be between 0 and 1")
        if not 100 <= self.status <= 599:
            problems.append("status must be an HTTP status code (100..599)")
        if self.retry_after is not None and self.retry_after < 0:
            problems.append("retry_after must be >= 0")
        if self.fail_next < 0:
            problems.append("fail_next must be >= 0")
        if self.drop_after_apply < 0:
            problems.append("drop_after_apply must be >= 0")
        if self.replace and not self.replace.partition(">")[0]:
            problems.append("replace must look like OLD>NEW")
        if self.error_every < 0 or self.invalid_every < 0:
            problems.append("error_every and invalid_every must be >= 0")
        if problems:
            raise ValueError("; ".join(problems))


def _no_faults() -> dict[str, Fault]:
    return {name: Fault() for name in API_NAMES}


@dataclass(frozen=True)
class SandboxSettings:
    """What a sandbox app serves: `customers` generated from `seed`, and the faults per API.

    With `notify_url` (the gateway's `/webhooks/crm`) and `notify_secret`, the CRM sends a
    signed change notice whenever a customer's record changes.
    """

    customers: int = 10_000
    seed: int = 42
    faults: dict[str, Fault] = field(default_factory=_no_faults)
    notify_url: str | None = None
    notify_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("customers must be >= 1")
        unknown = sorted(set(self.faults) - set(API_NAMES))
        if unknown:
            raise ValueError(f"faults for unknown APIs {unknown}; known: {', '.join(API_NAMES)}")
