"""The hook through which upstream calls are traced; datasources itself knows no tracer.

The gateway passes an ``UpstreamTracer`` in when tracing is on. Without one, the client
does nothing per call beyond a ``None`` check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class UpstreamSpan(Protocol):
    """One upstream call being traced: its headers go out, its status comes back."""

    #: Headers that carry the trace to the upstream (W3C ``traceparent``).
    headers: Mapping[str, str]
    #: The HTTP status the upstream answered, once it has.
    status: int | None

    def end(self, outcome: str) -> None:
        """The call is over: ``ok``, or the code of the error it ended with."""
        ...


class UpstreamTracer(Protocol):
    """Starts a span per upstream call; told only the source, method and batch size."""

    def start(self, source: str, method: str, batch_size: int | None) -> UpstreamSpan: ...
