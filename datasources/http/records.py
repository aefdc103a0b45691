"""Reading records out of a decoded upstream answer: where they sit, whose they are, and
their fields mapped onto the model."""

from __future__ import annotations

from typing import Any

import structlog

from datasources.codecs import CodecError
from datasources.config import SourceConfig
from datasources.metrics import SourceMetrics
from datasources.model import (
    ENTITY_IS_LIST,
    ENTITY_MODELS,
    KeyTemplate,
    RecordMapper,
    compile_path,
    root_attributes,
)

log = structlog.get_logger("customer_graph.datasources")

# One batch's records, keyed by our customer id: a model instance, or a tuple of them for
# entities a customer has many of; or the GatewayError of the call that should have brought
# them, when other calls of the same batch succeeded.
Records = dict[str, Any]

# The invalid-fields metric's label for records whose key matches no customer id.
UNMATCHED_RECORD = "(key)"


class RecordReader:
    """One source's records from its batch and listing answers, keyed by customer id.

    An answer that cannot be read at all raises ``CodecError``; a record with invalid fields
    is kept with those fields marked, logged and counted.
    """

    def __init__(self, name: str, config: SourceConfig, metrics: SourceMetrics) -> None:
        self._name = name
        self._config = config
        # A REST source: the config requires its batch (datasources/config/graphql.py).
        assert config.batch is not None
        self.batch_request = config.batch
        self._metrics = metrics
        self.is_list = ENTITY_IS_LIST[config.entity]
        self.mapper = RecordMapper(ENTITY_MODELS[config.entity], config.fields)
        self.keys = KeyTemplate(config.key_template)
        self._records = compile_path(self.batch_request.records)
        self._record_key = compile_path(self.batch_request.key)
        self._key_attributes = root_attributes(self.batch_request.key)
        listing = config.listing
        self._list_records = compile_path(listing.records) if listing else None
        self._next_cursor = compile_path(listing.next_cursor) if listing else None

    def batch(self, body: Any, fields: frozenset[str] | None) -> Records:
        """The records of a batch answer."""
        raw_records = self._records(body)
        if raw_records is None:
            return {}
        if isinstance(raw_records, dict):
            raw_records = [raw_records]
        if not isinstance(raw_records, list):
            raise CodecError(f"expected a list of records at {self.batch_request.records!r}")
        return self._map(raw_records, fields)

    def page(self, body: Any, fields: frozenset[str] | None) -> tuple[Records, str | None]:
        """The records of a listing page, in the upstream's order, and the next page's cursor."""
        listing = self._config.listing
        # SourceClient.list_page asks only a source with a listing.
        assert listing is not None
        assert self._list_records is not None
        assert self._next_cursor is not None
        raw = self._list_records(body) or []
        if not isinstance(raw, list):
            raise CodecError(f"expected a list of records at {listing.records!r}")
        records = self._map(raw, fields)
        next_cursor = self._next_cursor(body)
        return records, str(next_cursor) if next_cursor else None

    def _map(self, raw_records: list[Any], fields: frozenset[str] | None) -> Records:
        """Map raw records and key them by customer id, grouping where the entity is a list."""
        if self._config.format == "csv" and raw_records:
            self._check_columns(raw_records[0], fields)
        out: Records = {}
        grouped: dict[str, list[Any]] = {}
        for raw in raw_records:
            key = self._record_key(raw)
            cid = self.keys.to_customer(str(key)) if key is not None else None
            if cid is None:
                # No customer to blame it on: the record is dropped, logged and counted.
                self._metrics.invalid_fields.labels(self._name, UNMATCHED_RECORD).inc()
                log.warning("record without a usable key", source=self._name, key=key)
                continue
            record = self.mapper.map(raw, fields)
            if record.issues:
                for field in record.issues:
                    self._metrics.invalid_fields.labels(self._name, field).inc()
                log.warning(
                    "invalid upstream fields",
                    source=self._name,
                    customer_id=cid,
                    fields=sorted(record.issues),
                )
            if self.is_list:
                grouped.setdefault(cid, []).append(record)
            else:
                out[cid] = record
        for cid, records in grouped.items():
            out[cid] = tuple(records)
        return out

    def _check_columns(self, first_row: Any, fields: frozenset[str] | None) -> None:
        # Every CSV row has every header column, so the first row shows what the file lacks.
        needed = self.mapper.attributes_for(self.mapper.field_names if fields is None else fields)
        missing = sorted((needed | self._key_attributes) - set(first_row))
        if missing:
            raise CodecError(
                f"the CSV has no column {', '.join(map(repr, missing))}; "
                "expected the columns the mapping reads"
            )
