"""How to ask a GraphQL upstream for many customers in one operation (docs/federation.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import InitErrorDetails

from datasources.config.rules import Loc, problem, truthy
from datasources.model import PLAIN_PATH, JMESPath, check_jmespath

# A GraphQL name (spec section 2.1.9).
GRAPHQL_NAME = r"^[_A-Za-z][_0-9A-Za-z]*$"


class GraphQLRequest(BaseModel):
    """One upstream operation per batch of customers: ``_entities`` of a federation subgraph,
    or a list field that takes the customers' keys as one argument.

    The selection is built from the mapping's paths (each a dotted path of upstream fields),
    so only the fields a query needs are asked for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    operation: Literal["entities", "list"]
    path: str = Field(
        default="", pattern=r"^(/.*)?$", description="appended to base_url, e.g. '/graphql'"
    )
    field: str | None = Field(
        default=None,
        pattern=GRAPHQL_NAME,
        description="list: the root field (e.g. tickets); entities: the entity's field that "
        "holds the records (unset: the entity's own fields are the record)",
    )
    argument: str | None = Field(
        default=None, pattern=GRAPHQL_NAME, description="list: the argument taking the keys"
    )
    argument_type: str = Field(
        default="[ID!]!",
        pattern=r"^\[[_A-Za-z][_0-9A-Za-z]*!?\]!?$",
        description="list: the argument's GraphQL type",
    )
    key: JMESPath | None = Field(
        default=None, description="list: where a record's customer key is, e.g. customerId"
    )
    typename: str = Field(
        default="Customer", pattern=GRAPHQL_NAME, description="entities: the entity type"
    )
    key_field: str = Field(
        default="id", pattern=GRAPHQL_NAME, description="entities: the key in representations"
    )
    max_batch_size: int = Field(default=100, ge=1, le=10_000)

    _check_key = field_validator("key")(check_jmespath)


# What a GraphQL source is asked through instead: its operation is built from the mapping.
_REST_ONLY: Final = ("batch", "listing", "sparse_fields", "update")


def request_problems(data: Mapping[Any, Any]) -> list[InitErrorDetails]:
    """A REST source needs ``batch``; a GraphQL source needs ``graphql`` and dotted paths."""
    if data.get("format") != "graphql":
        if data.get("graphql") is not None:
            return [
                problem(("graphql",), "'graphql' is only allowed on a source of format 'graphql'")
            ]
        if data.get("batch") is None:
            return [
                problem(("batch",), "a REST source needs 'batch', how to ask for many customers")
            ]
        return []
    problems = [
        problem((key,), f"{key!r} is not used by a source of format 'graphql'")
        for key in _REST_ONLY
        if data.get(key) is not None
    ]
    if truthy(data.get("primary", False)):
        problems.append(
            problem(("primary",), "the primary source must be a REST source with a listing", True)
        )
    request = data.get("graphql")
    if not isinstance(request, Mapping):
        return [*problems, problem(("graphql",), "a GraphQL source needs 'graphql', its operation")]
    if request.get("operation") == "list":
        problems += [
            problem(("graphql", key), f"operation 'list' needs {key!r}: {why}")
            for key, why in (
                ("field", "the root field to ask"),
                ("argument", "the argument taking the keys"),
                ("key", "where each record's customer key is"),
            )
            if not request.get(key)
        ]
        key = request.get("key")
        if isinstance(key, str) and not PLAIN_PATH.fullmatch(key):
            problems.append(_not_selectable(("graphql", "key"), key))
    fields = data.get("fields")
    if isinstance(fields, Mapping):
        problems += _selectable_paths(fields, ("fields",))
    return problems


def _selectable_paths(specs: Mapping[Any, Any], loc: Loc) -> list[InitErrorDetails]:
    problems: list[InitErrorDetails] = []
    for name, spec in specs.items():
        if not isinstance(spec, Mapping):
            continue
        path = spec.get("path")
        if isinstance(path, str) and not PLAIN_PATH.fullmatch(path):
            problems.append(_not_selectable((*loc, name, "path"), path))
        items = spec.get("fields")
        if isinstance(items, Mapping):
            problems += _selectable_paths(items, (*loc, name, "fields"))
    return problems


def _not_selectable(loc: Loc, path: str) -> InitErrorDetails:
    return problem(
        loc,
        f"a GraphQL source selects the fields its paths name; expected a dotted path of "
        f"upstream fields such as 'agent.name', not {path!r}",
        path,
    )
