"""All configured sources together: who feeds which field, and their HTTP clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping

import httpx

from datasources.client import SourceClient
from datasources.config import SourceConfig
from datasources.metrics import SourceMetrics

HttpFactory = Callable[[SourceConfig], httpx.AsyncClient]


class SourceSet:
    """The gateway's upstreams, opened at start-up and closed at shutdown."""

    def __init__(
        self,
        configs: Mapping[str, SourceConfig],
        http_factory: HttpFactory,
        metrics: SourceMetrics,
    ) -> None:
        self.configs = dict(configs)
        self.metrics = metrics
        self._http = {name: http_factory(cfg) for name, cfg in configs.items()}
        self.clients = {
            name: SourceClient(name, cfg, self._http[name], metrics)
            for name, cfg in configs.items()
        }
        self.primary = next(name for name, cfg in configs.items() if cfg.primary)
        self._owners: dict[tuple[str, str], str] = {}
        for name, cfg in configs.items():
            for field in cfg.fields:
                self._owners[(cfg.entity, field)] = name
        self._entity_source: dict[str, str] = {
            cfg.entity: name for name, cfg in configs.items() if cfg.entity != "customer"
        }

    def owner(self, entity: str, field: str) -> str | None:
        """The source that feeds ``field`` of ``entity``, if any does."""
        return self._owners.get((entity, field))

    def source_of(self, entity: str) -> str | None:
        """The one source of a non-customer entity (orders, loyalty, preferences)."""
        return self._entity_source.get(entity)

    def plan(self, demand: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
        """Which sources to call, each with the model fields wanted from it.

        The primary source is always called, with no fields if none are wanted, because it
        alone knows whether a customer exists.
        """
        wanted: dict[str, set[str]] = {self.primary: set()}
        for entity, fields in demand.items():
            if entity == "customer":
                for field in fields:
                    owner = self.owner(entity, field)
                    if owner is not None:
                        wanted.setdefault(owner, set()).add(field)
                continue
            name = self.source_of(entity)
            if name is not None:
                wanted.setdefault(name, set()).update(
                    f for f in fields if f in self.configs[name].fields
                )
        return {name: frozenset(fields) for name, fields in wanted.items()}

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._http.values()))
