"""``_entities`` answers what ``customers(ids:)`` answers, and its compiled plans answer what
plain Strawberry answers.

Generated ``customers(ids:)`` operations (aliases, merged fields, fragments, directives,
variables) are rewritten into ``_entities`` operations: each ``customers`` field becomes
``_entities`` under the same response key, its ids become Customer representations and its
selection moves into ``... on Customer``. The customer data and the errors (paths, messages,
extensions) must be the same, with the same upstream calls; and a fast-path subgraph must
answer each ``_entities`` operation byte for byte as a subgraph without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Annotated, Any

import graphql
import orjson
import pytest
import strawberry
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
)
from hypothesis import given
from hypothesis import strategies as st

from core import UpstreamUnavailable
from gateway.app import create_app
from sandbox.server import run_in_thread
from schema import FederationSettings, build_schema
from schema.fastpath import FastPath, FastPathSchema
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.operation_strategies import Operation, operations
from tests.test_fastpath_differential import (
    CALLERS,
    FAULTS,
    GATEWAY_ENV,
    GATEWAY_SETTINGS,
    IDS,
    _gateway_scalars,
)
from tests.tokens import claims

SCHEMA = build_schema(federation=FederationSettings(enabled=True))._schema


@dataclass
class Subgraphs:
    fast: Gateway
    plain: Gateway
    plans: FastPath


@pytest.fixture(scope="module")
def subgraphs(sandbox_server: Sandbox) -> Iterator[Subgraphs]:
    with ExitStack() as stack:

        def start(**env: str) -> tuple[Gateway, Any]:
            settings = sandbox_settings(
                sandbox_server.url, **GATEWAY_ENV, CG_FEDERATION__ENABLED="true", **env
            )
            app = create_app(settings, clock=lambda: claims()["iat"])
            return Gateway(stack.enter_context(run_in_thread(app))), app.state.gateway.fast_path

        fast, plans = start()
        plain, none = start(CG_SERVER__FAST_PATH="false")
        assert none is None
        yield Subgraphs(fast, plain, plans)


def as_entities(operation: Operation) -> Operation:
    """The operation with every root ``customers(ids:)`` asked as ``_entities``."""
    document = graphql.parse(operation.query)
    rewrite = _Rewrite(operation.variables)
    definitions = [rewrite.definition(d) for d in document.definitions]
    # Used in a selection, not merely defined.
    used = {
        node.name.value
        for definition in definitions
        for node in _walk(definition.selection_set)
        if isinstance(node, VariableNode)
    }
    final = []
    for definition in definitions:
        if isinstance(definition, OperationDefinitionNode):
            kept = [
                v for v in definition.variable_definitions or () if v.variable.name.value in used
            ]
            definition = _replace(definition, variable_definitions=(*kept, *rewrite.definitions))
        final.append(definition)
    text = graphql.print_ast(DocumentNode(definitions=tuple(final)))
    assert not graphql.validate(SCHEMA, graphql.parse(text)), text
    variables = {k: v for k, v in operation.variables.items() if k in used}
    return Operation(text, {**variables, **rewrite.values})


class _Rewrite:
    def __init__(self, variables: dict[str, Any]) -> None:
        self._variables = variables
        self.values: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self._names: dict[tuple[str, ...], str] = {}

    def definition(self, node: Any) -> Any:
        on_query = isinstance(node, OperationDefinitionNode) or (
            isinstance(node, graphql.FragmentDefinitionNode)
            and node.type_condition.name.value == "Query"
        )
        if not on_query:
            return node
        return _replace(node, selection_set=self.root(node.selection_set))

    def root(self, selection_set: SelectionSetNode) -> SelectionSetNode:
        selections = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value == "customers":
                selection = self.entities(selection)
            elif isinstance(selection, InlineFragmentNode):
                selection = _replace(selection, selection_set=self.root(selection.selection_set))
            selections.append(selection)
        return SelectionSetNode(selections=tuple(selections))

    def entities(self, node: FieldNode) -> FieldNode:
        (argument,) = node.arguments
        value = graphql.value_from_ast_untyped(argument.value, self._variables)
        ids = tuple(str(i) for i in value)
        name = self._names.get(ids)
        if name is None:
            name = self._names[ids] = f"representations{len(self._names)}"
            self.values[name] = [{"__typename": "Customer", "id": i} for i in ids]
            self.definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)),
                    type=graphql.parse_type("[_Any!]!"),
                    directives=(),
                )
            )
        assert node.selection_set is not None
        on_customer = InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value="Customer")),
            directives=(),
            selection_set=node.selection_set,
        )
        return FieldNode(
            alias=node.alias or NameNode(value="customers"),
            name=NameNode(value="_entities"),
            arguments=(
                ArgumentNode(
                    name=NameNode(value="representations"),
                    value=VariableNode(name=NameNode(value=name)),
                ),
            ),
            directives=node.directives,
            selection_set=SelectionSetNode(selections=(on_customer,)),
        )


def _replace(node: Any, **changes: Any) -> Any:
    fields = {key: getattr(node, key) for key in node.keys if key != "loc"}
    return type(node)(**{**fields, **changes})


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for key in getattr(node, "keys", ()):
        value = getattr(node, key, None)
        children = value if isinstance(value, tuple | list) else (value,)
        for child in children:
            if isinstance(child, graphql.Node):
                yield from _walk(child)


def _run(sandbox: Sandbox, gateway: Gateway, operation: Operation, faults: Any, caller: str) -> Any:
    sandbox.reset()
    if faults:
        sandbox.set_faults(**faults)
    response = gateway.http.post(
        "/graphql",
        json={"query": operation.query, "variables": operation.variables},
        headers=CALLERS[caller],
    )
    assert response.status_code == 200, response.text
    return response.content, sandbox.calls()


def _without_locations(body: bytes) -> Any:
    answer = orjson.loads(body)
    for error in answer.get("errors", ()):
        error.pop("locations", None)
    return answer


@GATEWAY_SETTINGS
@given(
    operation=operations(SCHEMA, _gateway_scalars(IDS), root_fields=["customers"]),
    faults=st.sampled_from(FAULTS),
    caller=st.sampled_from(sorted(CALLERS)),
)
def test_entities_give_the_customer_data_customers_gives(
    subgraphs: Subgraphs, sandbox: Sandbox, operation: Operation, faults: Any, caller: str
) -> None:
    entities = as_entities(operation)
    by_ids, by_ids_calls = _run(sandbox, subgraphs.fast, operation, faults, caller)
    body, calls = _run(sandbox, subgraphs.fast, entities, faults, caller)
    assert _without_locations(body) == _without_locations(by_ids)
    assert calls == by_ids_calls


@GATEWAY_SETTINGS
@given(
    operation=operations(SCHEMA, _gateway_scalars(IDS), root_fields=["customers"]).map(as_entities),
    faults=st.sampled_from(FAULTS),
    caller=st.sampled_from(sorted(CALLERS)),
)
def test_entities_plans_answer_as_strawberry_does(
    subgraphs: Subgraphs, sandbox: Sandbox, operation: Operation, faults: Any, caller: str
) -> None:
    plain, plain_calls = _run(sandbox, subgraphs.plain, operation, faults, caller)
    planned = subgraphs.plans.planned
    for _ in range(2):  # the second time as a prepared operation
        body, calls = _run(sandbox, subgraphs.fast, operation, faults, caller)
        assert body.decode() == plain.decode()
        assert calls == plain_calls
    assert subgraphs.plans.planned == planned + 2


# In-process: union values a source could never produce, through both executors.


@strawberry.type
class Cat:
    name: str


@strawberry.type
class Dog:
    name: str
    barks: bool


@strawberry.type
class Robot:
    name: str


Pet = Annotated[Cat | Dog, strawberry.union("Pet")]


@strawberry.type
class PetQuery:
    @strawberry.field
    def pets(self, info: strawberry.Info[Any, None]) -> list[Pet | None]:
        return info.context  # type: ignore[no-any-return]


ODD_VALUES: list[Any] = [
    Cat(name="Tom"),
    Dog(name="Rex", barks=True),
    None,
    Robot(name="R2"),  # a Strawberry type outside the union
    {"name": "a dict"},
    "a string",
    UpstreamUnavailable("upstream answered 503", source="pets"),
    strawberry.cast(Dog, Cat(name="cast as a dog")),
]


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_union_values_complete_as_graphql_core_completes_them(value: Any) -> None:
    query = "{ pets { __typename ... on Cat { name } ... on Dog { name barks } } }"
    plain = strawberry.Schema(query=PetQuery, types=[Robot])
    fast = FastPathSchema(query=PetQuery, types=[Robot])
    context = [Cat(name="first"), value]
    expected = asyncio.run(plain.execute(query, context_value=context))
    assert fast.fast_path is not None
    planned = fast.fast_path.planned
    found = asyncio.run(fast.execute(query, context_value=context))
    assert fast.fast_path.planned == planned + 1
    assert found.data == expected.data
    assert [e.formatted for e in found.errors or ()] == [e.formatted for e in expected.errors or ()]
