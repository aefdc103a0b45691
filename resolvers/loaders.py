"""Per-request dataloaders: one per source, batching every customer id asked in a tick."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader

from datasources import GatewayError, SourceClient


class SourceLoader(DataLoader[str, Any]):
    """Loads one source's records by customer id; a failed batch fails each of its keys."""

    def __init__(
        self, client: SourceClient, fields: frozenset[str], caller_token: str | None = None
    ) -> None:
        # The client chunks to the upstream's batch size itself and runs chunks concurrently.
        super().__init__(max_batch_size=None)
        self._client = client
        self._fields = fields
        self._caller_token = caller_token

    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        try:
            records = await self._client.fetch_many(
                keys, self._fields, caller_token=self._caller_token
            )
        except GatewayError as exc:
            return [exc] * len(keys)
        return [records.get(key) for key in keys]
