"""A small graphql-transport-ws client over the ``websockets`` library, for tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
# Long enough for a loaded machine, short enough that a missing message fails the test.
WAIT = 10.0


class Socket:
    """One connection: ``subscribe`` operations, read what the server sends."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def receive(self, timeout: float = WAIT) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.connection.recv(timeout=timeout))
        return message

    def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, operation_id: str = "1"
    ) -> None:
        self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )

    def next_data(self, operation_id: str = "1") -> Any:
        """The data of the next ``next`` message, which must carry no errors."""
        message = self.receive()
        assert message["type"] == "next", message
        assert message["id"] == operation_id
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]

    def complete(self, operation_id: str = "1") -> None:
        self.send({"id": operation_id, "type": "complete"})

    def close_code(self) -> int | None:
        """Wait until the server closes the connection; its close code."""
        try:
            while True:
                self.connection.recv(timeout=WAIT)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


@contextmanager
def socket(
    gateway_url: str, payload: dict[str, Any] | None = None, *, acknowledged: bool = True
) -> Iterator[Socket]:
    """A connection to the gateway's /graphql, initialised with ``payload``; with
    ``acknowledged``, the server's ``connection_ack`` has been read."""
    url = gateway_url.replace("http://", "ws://", 1) + "/graphql"
    with connect(url, subprotocols=[PROTOCOL], open_timeout=WAIT) as connection:
        ws = Socket(connection)
        ws.send({"type": "connection_init", "payload": payload or {}})
        if acknowledged:
            assert ws.receive() == {"type": "connection_ack"}
        yield ws
