"""What each GraphQL field reads of the internal model, declared on the types themselves.

A type's ``entity`` class attribute names the model entity its fields come from; a field
named like one of that entity's model fields reads just that field. Other fields say what
they read with ``reads(entity, *model_fields)`` in place of ``strawberry.field``. The
demand planner (``schema/demand.py``) derives its table from these, so the table cannot
drift from the types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import strawberry

from datasources.model import ENTITY_MODELS, model_fields
from schema.internals import field_definition, object_definitions

# The field metadata key under which a field's reads are kept.
READS: Final = "customer_graph.reads"

# (GraphQL type name, GraphQL field name) -> (entity, model fields the field reads).
ReadsTable = Mapping[tuple[str, str], tuple[str, tuple[str, ...]]]


def reads(entity: str, *fields: str, **options: Any) -> Any:
    """``strawberry.field`` for a field that reads these model ``fields`` of ``entity``
    (none: the field needs the entity's source, but no field of it in particular)."""
    return strawberry.field(metadata={READS: (entity, fields)}, **options)


def reads_table(schema: strawberry.Schema) -> ReadsTable:
    """The table for every object type of ``schema``, keyed by GraphQL names."""
    table: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for type_, definition in object_definitions(schema):
        entity: str | None = getattr(definition.origin, "entity", None)
        known = model_fields(ENTITY_MODELS[entity]) if entity is not None else {}
        for name, field in type_.fields.items():
            strawberry_field = field_definition(field)
            if strawberry_field is None:
                continue
            metadata: Mapping[str, Any] = strawberry_field.metadata or {}
            read = metadata.get(READS)
            if read is None and entity is not None and strawberry_field.python_name in known:
                read = (entity, (strawberry_field.python_name,))
            if read is not None:
                table[(type_.name, name)] = read
    return table
