"""The subgraph schema a federation router composes: the gateway's own SDL with the
Federation 2 directives that say how it joins a supergraph.

The directives live only in this text, never on the Strawberry types: the standalone schema
(``[federation]`` off) stays exactly what it was, and the executable subgraph schema differs
from it only by ``_service`` and ``_entities``. Routers read this SDL through
``_service { sdl }``; they never introspect the directives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar, cast

from graphql import (
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstListValueNode,
    ConstValueNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    FieldDefinitionNode,
    GraphQLSchema,
    NameNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    parse,
    print_ast,
    print_schema,
)

from auth import PII, PII_FIELDS
from schema.federation.settings import FederationSettings

# The version that has every directive used here (@requiresScopes came with 2.5).
FEDERATION_SPEC: Final = "https://specs.apollo.dev/federation/v2.5"

# Entity types by their key, and whether this subgraph resolves them from the key alone. An
# order is fetched with its customer's orders, so an order id alone cannot be resolved
# here: other subgraphs may still extend Order, starting from orders this one returns.
ENTITY_KEYS: Final[Mapping[str, tuple[str, bool]]] = {
    "Customer": ("id", True),
    "Order": ("id", False),
}
# Value types other subgraphs are likely to define too, identically.
SHAREABLE: Final = ("Money", "PageInfo")
PII_TAG: Final = "pii"

# What the federation adds to the executable schema; composition adds them itself.
INTERNAL_TYPES: Final = frozenset({"_Any", "_Entity", "_Service"})
INTERNAL_FIELDS: Final = frozenset({"_entities", "_service"})
# Directives the standalone SDL defines that the federation spec defines for a subgraph:
# routers take them from @link, and a definition of our own would conflict.
LINKED_DIRECTIVES: Final = frozenset({"requiresScopes"})

Value = str | bool | Sequence["Value"]
Node = TypeVar("Node", TypeDefinitionNode, FieldDefinitionNode)


def subgraph_sdl(schema: GraphQLSchema, settings: FederationSettings) -> str:
    """The SDL of ``schema`` as a Federation 2 subgraph; ``ValueError`` when the settings
    name a type or field the schema does not have."""
    document = parse(print_schema(schema))
    wanted = _directives(settings)
    found: set[str] = set()
    definitions = []
    for definition in document.definitions:
        if (
            isinstance(definition, DirectiveDefinitionNode)
            and definition.name.value in LINKED_DIRECTIVES
        ):
            continue
        if not isinstance(definition, TypeDefinitionNode):
            definitions.append(definition)
            continue
        name = definition.name.value
        if name in INTERNAL_TYPES:
            continue
        changes: dict[str, Any] = {}
        fields: Sequence[FieldDefinitionNode] | None = getattr(definition, "fields", None)
        if fields:
            changes["fields"] = tuple(
                _annotated(field, f"{name}.{field.name.value}", wanted, found)
                for field in fields
                if field.name.value not in INTERNAL_FIELDS
            )
        definitions.append(_annotated(definition, name, wanted, found, **changes))
    unknown = sorted((set(settings.inaccessible) | set(settings.tags)) - found)
    if unknown:
        raise ValueError(
            f"federation settings name {', '.join(map(repr, unknown))}, which the schema "
            "does not have; expected a type or a field such as 'Customer.segment'"
        )
    used = sorted({d.name.value for ds in wanted.values() for d in ds})
    link = _directive("link", url=FEDERATION_SPEC, **{"import": [f"@{n}" for n in used]})
    extension = SchemaExtensionNode(directives=(link,), operation_types=())
    # graphql-core's types leave schema extensions out of a document's definitions.
    document = DocumentNode(definitions=(cast("DefinitionNode", extension), *definitions))
    return print_ast(document) + "\n"


def _directives(settings: FederationSettings) -> dict[str, list[ConstDirectiveNode]]:
    """Coordinate ("Type" or "Type.field") -> the directives it carries."""
    wanted: dict[str, list[ConstDirectiveNode]] = {}

    def add(coordinate: str, directive: ConstDirectiveNode) -> None:
        wanted.setdefault(coordinate, []).append(directive)

    for type_name, (key, resolvable) in ENTITY_KEYS.items():
        options: dict[str, Value] = {} if resolvable else {"resolvable": False}
        add(type_name, _directive("key", fields=key, **options))
    for type_name in SHAREABLE:
        add(type_name, _directive("shareable"))
    for field in sorted(PII_FIELDS):
        if settings.requires_scopes:
            add(f"Customer.{field}", _directive("requiresScopes", scopes=[[PII]]))
        add(f"Customer.{field}", _directive("tag", name=PII_TAG))
    for coordinate in settings.inaccessible:
        add(coordinate, _directive("inaccessible"))
    for coordinate, names in settings.tags.items():
        for name in names:
            add(coordinate, _directive("tag", name=name))
    return wanted


def _annotated(
    node: Node,
    coordinate: str,
    wanted: Mapping[str, Sequence[ConstDirectiveNode]],
    found: set[str],
    **changes: Any,
) -> Node:
    """``node`` with the directives its coordinate carries (the AST is immutable)."""
    found.add(coordinate)
    added: Sequence[ConstDirectiveNode] = wanted.get(coordinate, ())
    if added:
        changes["directives"] = (*(node.directives or ()), *added)
    if not changes:
        return node
    # Through Any: mypy's dataclass plugin cannot type replace() over the node union.
    replace: Any = dataclasses.replace
    replaced: Node = replace(node, **changes)
    return replaced


def _directive(directive: str, **arguments: Value) -> ConstDirectiveNode:
    return ConstDirectiveNode(
        name=NameNode(value=directive),
        arguments=tuple(
            ConstArgumentNode(name=NameNode(value=key), value=_value(value))
            for key, value in arguments.items()
        ),
    )


def _value(value: Value) -> ConstValueNode:
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, str):
        return StringValueNode(value=value)
    return ConstListValueNode(values=tuple(_value(v) for v in value))
