"""What one answer was built from: which customers of which sources, and until when."""

from __future__ import annotations

import math
from collections.abc import Iterable


class Provenance:
    """Filled in while one request loads; read by whoever would reuse its whole answer.

    ``customers`` holds ``(source, customer id)`` for every record asked for, unknown
    customers included (a later write that creates one invalidates its id). ``fresh_until``
    is when the first of those records stops being fresh, in clock seconds. ``reusable`` is
    False once the answer read something no customer id stands for (a listing page, whose
    membership changes without naming one).
    """

    __slots__ = ("customers", "fresh_until", "reusable")

    def __init__(self) -> None:
        self.customers: set[tuple[str, str]] = set()
        self.fresh_until = math.inf
        self.reusable = True

    def read(self, source: str, customer_ids: Iterable[str], fresh_until: float) -> None:
        """Records of ``source`` for these customers went into the answer."""
        self.customers.update((source, cid) for cid in customer_ids)
        self.fresh_until = min(self.fresh_until, fresh_until)

    def listed(self) -> None:
        """The answer holds a page of a listing."""
        self.reusable = False
