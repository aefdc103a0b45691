"""Request statistics: what each API was asked, and the order of arrivals and answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# (path inside the API, query, body) -> the keys the request asks for, as sent.
KeyExtractor = Callable[[str, QueryParams, bytes], list[str]]

# A request body -> the GraphQL request it carries (query, variables, operationName).
DocumentReader = Callable[[bytes], dict[str, Any] | None]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass
class RequestEvent:
    """One request to an API; `answered` stays None if no response was sent (hang, drop).

    `traceparent` is the W3C trace context header the request carried, if any: the only
    header recorded, so tests can check that traces reach the upstreams. `graphql` is the
    GraphQL request a GraphQL API received, so tests can check what was pushed down.
    """

    method: str
    path: str
    query: str
    arrived: int
    answered: int | None = None
    status: int | None = None
    traceparent: str | None = None
    graphql: dict[str, Any] | None = None


@dataclass
class _APIStats:
    ids: list[list[str]] = field(default_factory=list)
    events: list[RequestEvent] = field(default_factory=list)


class StatsRecorder:
    """Per-API request logs sharing one sequence counter, so arrivals and answers across all
    APIs can be ordered without comparing clocks."""

    def __init__(self, api_names: Iterable[str]) -> None:
        self._api_names = tuple(api_names)
        # Never reset: a request in flight across a reset must still get a later number.
        self._seq = 0
        self._apis = {name: _APIStats() for name in self._api_names}

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def arrive(
        self,
        api: str,
        method: str,
        path: str,
        query: str,
        keys: list[str],
        traceparent: str | None = None,
        graphql: dict[str, Any] | None = None,
    ) -> RequestEvent:
        """Record a request arriving at `api`."""
        event = RequestEvent(
            method, path, query, arrived=self._next(), traceparent=traceparent, graphql=graphql
        )
        self._apis[api].ids.append(keys)
        self._apis[api].events.append(event)
        return event

    def answer(self, event: RequestEvent, status: int) -> None:
        """Record that the response to `event` is about to be sent."""
        event.answered = self._next()
        event.status = status

    def snapshot(self) -> dict[str, Any]:
        """The `GET /_stats` document."""
        return {
            name: {
                "requests": len(stats.events),
                "ids": [list(keys) for keys in stats.ids],
                "events": [vars(event).copy() for event in stats.events],
            }
            for name, stats in self._apis.items()
        }

    def reset(self) -> None:
        """Forget all recorded requests."""
        self._apis = {name: _APIStats() for name in self._api_names}


class StatsMiddleware:
    """Records every request to one mounted API, with the keys it asks for."""

    def __init__(
        self,
        app: ASGIApp,
        api: str,
        recorder: StatsRecorder,
        requested_keys: KeyExtractor,
        documents: DocumentReader | None = None,
    ) -> None:
        self._app = app
        self._api = api
        self._recorder = recorder
        self._requested_keys = requested_keys
        self._documents = documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        body = b""
        if scope["method"] in _BODY_METHODS:
            body, receive = await _buffer_body(receive)
        query = scope["query_string"].decode("latin-1")
        keys = self._requested_keys(route_path(scope), QueryParams(query), body)
        traceparent = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"traceparent"), None
        )
        graphql = self._documents(body) if self._documents is not None and body else None
        event = self._recorder.arrive(
            self._api, scope["method"], scope["path"], query, keys, traceparent, graphql
        )

        async def send_and_record(message: Message) -> None:
            starting = message["type"] == "http.response.start"
            if starting:
                self._recorder.answer(event, message["status"])
            try:
                await send(message)
            except BaseException:
                # The server refused the response (see faults.py): nothing reached the client.
                if starting:
                    event.answered = event.status = None
                raise

        await self._app(scope, receive, send_and_record)


def route_path(scope: Scope) -> str:
    """The path inside the mounted API: `/customers/batch` for `/crm/customers/batch`."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body, and return a receive that replays it to the API."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay
