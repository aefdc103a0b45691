"""What the fast path runs, what it leaves to Strawberry, and the graphql-core corners it keeps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult as GraphQLResult
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension, ValidationCache
from strawberry.permission import BasePermission, PermissionExtension
from structlog.testing import capture_logs

from gateway.settings import DEFAULT_CONFIG, load_settings
from schema import build_schema
from schema.fastpath import FastPath, FastPathExtension, FastPathSchema


def _fast_path(schema: strawberry.Schema) -> FastPath:
    assert isinstance(schema, FastPathSchema)
    assert schema.fast_path is not None
    return schema.fast_path


def _answers(
    query: str,
    query_type: type[Any],
    variables: dict[str, Any] | None = None,
    context: Callable[[], Any] = dict,
    **schema_options: Any,
) -> tuple[Any, FastPath]:
    """The formatted result of ``query`` through the fast path, checked against plain
    Strawberry, and the fast path that ran it."""
    fast = FastPathSchema(query=query_type, **schema_options)
    plain = strawberry.Schema(query=query_type, **schema_options)

    async def both() -> list[Any]:
        results = [await s.execute(query, variables, context()) for s in (fast, plain)]
        return [(r.data, [e.formatted for e in r.errors or ()]) for r in results]

    fast_result, plain_result = asyncio.run(both())
    assert fast_result == plain_result
    return fast_result, _fast_path(fast)


@strawberry.type
class Item:
    name: str

    @strawberry.field
    async def remote(self) -> str:
        return self.name


class HoldsScope(BasePermission):
    message = "needs scope items:secret"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return "items:secret" in info.context["scopes"] or source.name == info.context["me"]


class OwnerOnly(BasePermission):
    """Decided from the object and the context alone: the plan checks it without an info."""

    message = "only the owner reads this"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return self.allows(source, info.context)

    def allows(self, source: Any, context: Any) -> bool:
        return bool(source.name == context["me"])


@strawberry.type
class Guarded:
    name: str
    secret: str | None = strawberry.field(permission_classes=[HoldsScope])
    private: str | None = strawberry.field(permission_classes=[OwnerOnly])
    notes: list[str] | None = strawberry.field(
        extensions=[PermissionExtension([OwnerOnly()], fail_silently=True)]
    )


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="a"), Item(name="b")]

    @strawberry.field
    def guarded(self) -> list[Guarded]:
        return [Guarded(name=n, secret=f"s-{n}", private=f"p-{n}", notes=[f"n-{n}"]) for n in "ab"]

    @strawberry.field
    def echo(self, text: str = "hi") -> str:
        return text


def test_queries_of_plain_fields_run_through_a_plan() -> None:
    result, fast_path = _answers("{ items { name __typename } __typename }", Query)
    assert result == (
        {
            "items": [{"name": "a", "__typename": "Item"}, {"name": "b", "__typename": "Item"}],
            "__typename": "Query",
        },
        [],
    )
    assert (fast_path.planned, fast_path.fell_back) == (1, 0)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Item") { name } }',
        "{ items { remote } }",
    ],
    ids=["schema introspection", "type introspection", "async resolver below the root"],
)
def test_what_the_compiler_does_not_support_runs_on_strawberry(query: str) -> None:
    _, fast_path = _answers(query, Query)
    assert (fast_path.planned, fast_path.fell_back) == (0, 1)


def test_mutations_run_on_strawberry() -> None:
    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def rename(self, name: str) -> str:
            return name

    result, fast_path = _answers('mutation { rename(name: "x") }', Query, mutation=Mutation)
    assert result == ({"rename": "x"}, [])
    assert (fast_path.planned, fast_path.fell_back) == (0, 1)


def test_invalid_variables_are_reported_by_strawberry() -> None:
    result, fast_path = _answers("query ($t: String!) { echo(text: $t) }", Query, {"t": 5})
    assert result[0] is None
    assert result[1][0]["message"] == (
        "Variable '$t' has invalid value: String cannot represent a non string value: 5"
    )
    assert fast_path.fell_back == 1


def test_a_null_skip_condition_is_reported_by_strawberry() -> None:
    query = "query ($c: Boolean = true) { echo @skip(if: $c) }"
    result, fast_path = _answers(query, Query, {"c": None})
    assert result[1][0]["message"] == (
        "Argument 'if' has invalid value: Expected variable '$c' provided to non-null type"
        " 'Boolean!' not to be None."
    )
    assert fast_path.fell_back == 1


def test_plans_are_compiled_once_per_skip_and_include_shape() -> None:
    fast = FastPathSchema(query=Query)
    query = "query ($c: Boolean!, $t: String!) { echo(text: $t) items @include(if: $c) { name } }"

    async def run() -> list[Any]:
        return [
            (await fast.execute(query, {"c": c, "t": t})).data
            for c, t in [(True, "x"), (True, "y"), (False, "x"), (False, "z")]
        ]

    _, second, _, fourth = asyncio.run(run())
    assert second == {"echo": "y", "items": [{"name": "a"}, {"name": "b"}]}
    assert fourth == {"echo": "z"}
    assert _fast_path(fast).cached_plans == 2
    assert _fast_path(fast).planned == 4


def test_field_permissions_are_checked_per_object_by_the_plan() -> None:
    query = "{ guarded { name secret } }"
    result, fast_path = _answers(query, Query, context=lambda: {"scopes": set(), "me": "b"})
    data, errors = result
    assert data == {"guarded": [{"name": "a", "secret": None}, {"name": "b", "secret": "s-b"}]}
    assert [(e["message"], e["path"]) for e in errors] == [
        ("needs scope items:secret", ["guarded", 0, "secret"])
    ]
    assert fast_path.planned == 1


def test_context_permissions_are_checked_without_a_resolve_info() -> None:
    query = "{ guarded { name private notes } }"
    result, fast_path = _answers(query, Query, context=lambda: {"scopes": set(), "me": "a"})
    data, errors = result
    assert data == {
        "guarded": [
            {"name": "a", "private": "p-a", "notes": ["n-a"]},
            {"name": "b", "private": None, "notes": []},
        ]
    }
    assert errors == [
        {
            "message": "only the owner reads this",
            "locations": [{"line": 1, "column": 18}],
            "path": ["guarded", 1, "private"],
            "extensions": {"code": "FORBIDDEN"},
        }
    ]
    assert fast_path.planned == 1


def test_an_extension_that_wraps_every_resolver_turns_the_fast_path_off() -> None:
    class CountResolves(SchemaExtension):
        calls = 0

        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            CountResolves.calls += 1
            return _next(root, info, *args, **kwargs)

    schema = FastPathSchema(query=Query, extensions=[CountResolves])
    assert not any(isinstance(e, FastPathExtension) for e in schema.get_extensions())
    result = asyncio.run(schema.execute("{ items { name } }"))
    assert result.data == {"items": [{"name": "a"}, {"name": "b"}]}
    assert CountResolves.calls == 3


def test_a_result_an_earlier_extension_provides_is_kept() -> None:
    class Cached(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            self.execution_context.result = GraphQLResult({"echo": "cached"}, None)
            yield

    schema = FastPathSchema(query=Query, extensions=[Cached])
    assert asyncio.run(schema.execute("{ echo }")).data == {"echo": "cached"}
    assert _fast_path(schema).planned == 0


def test_errors_an_extension_masks_stay_masked() -> None:
    @strawberry.type
    class Broken:
        @strawberry.field
        def items(self) -> list[Item]:
            return [Item(name="a")]

        @strawberry.field
        def oops(self) -> str | None:
            raise KeyError("a secret")

    result, fast_path = _answers("{ items { name } oops }", Broken, extensions=[MaskErrors])
    assert result[1][0]["message"] == "Unexpected error."
    assert fast_path.planned == 1


def test_the_setting_turns_the_fast_path_off() -> None:
    assert load_settings(DEFAULT_CONFIG, {}).server.fast_path is True
    off = load_settings(DEFAULT_CONFIG, {"CG_SERVER__FAST_PATH": "false"})
    assert off.server.fast_path is False
    plain = build_schema(fast_path=False)
    assert not any(isinstance(e, FastPathExtension) for e in plain.get_extensions())


# graphql-core's handling of root fields when a non-null one fails, kept by the plan.


@strawberry.type
class Racing:
    @strawberry.field
    async def slow(self, info: strawberry.Info[dict[str, Any], None]) -> str | None:
        await info.context["gate"].wait()
        info.context["ran"].append("slow")
        raise ValueError("too late")

    @strawberry.field
    async def failing(self) -> str:
        raise ValueError("failed")

    @strawberry.field
    def failing_now(self) -> str:
        raise ValueError("failed at once")


@pytest.mark.parametrize(
    ("query", "ran"),
    [
        # An async failure cancels the sibling: it never runs on.
        ("{ slow failing }", []),
        # A synchronous failure leaves the sibling running, unobserved: its error is dropped.
        ("{ slow failingNow }", ["slow"]),
    ],
)
def test_a_failed_non_null_root_field_nulls_the_response_as_graphql_core_does(
    query: str, ran: list[str]
) -> None:
    async def run(schema: strawberry.Schema) -> tuple[Any, list[str]]:
        context: dict[str, Any] = {"gate": asyncio.Event(), "ran": []}
        result = await schema.execute(query, context_value=context)
        context["gate"].set()
        for _ in range(10):  # let whatever still runs finish
            await asyncio.sleep(0)
        return (result.data, [e.message for e in result.errors or ()]), context["ran"]

    fast = FastPathSchema(query=Racing)
    fast_result = asyncio.run(run(fast))
    assert fast_result == asyncio.run(run(strawberry.Schema(query=Racing)))
    (data, errors), fast_ran = fast_result
    assert data is None
    assert len(errors) == 1
    assert fast_ran == ran
    assert _fast_path(fast).planned == 1


@pytest.fixture(autouse=True)
def _quiet_strawberry() -> Iterator[None]:
    strawberry_log = logging.getLogger("strawberry.execution")
    strawberry_log.disabled = True
    yield
    strawberry_log.disabled = False


class _Counting(SchemaExtension):
    """An extension prepared operations cannot honour: it counts every operation's hooks."""

    def on_operation(self) -> Iterator[None]:
        yield


class _Masked(MaskErrors):
    """A subclass may change what MaskErrors' hooks do: not honoured either."""


@pytest.mark.parametrize(
    ("extensions", "prepared"),
    [
        ([], 2),
        ([ParserCache, ValidationCache, MaskErrors], 2),
        ([_Counting], 0),
        ([_Masked], 0),
    ],
)
def test_prepared_operations_run_only_where_every_extension_is_honoured(
    extensions: list[Any], prepared: int
) -> None:
    fast = FastPathSchema(query=Query, extensions=extensions)
    query = "query ($t: String!) { echo(text: $t) }"

    async def run() -> list[Any]:
        return [(await fast.execute(query, {"t": t})).data for t in ("x", "y", "z")]

    assert asyncio.run(run()) == [{"echo": "x"}, {"echo": "y"}, {"echo": "z"}]
    # The first run prepares the text; the next two skip Strawberry's hooks where allowed.
    assert (_fast_path(fast).planned, _fast_path(fast).prepared) == (3, prepared)


@pytest.mark.parametrize("extension", [_Counting, _Masked])
def test_the_extension_that_closes_the_prepared_lane_is_named_in_the_log(
    extension: Any,
) -> None:
    with capture_logs() as logs:
        FastPathSchema(query=Query, extensions=[ParserCache, extension])
    assert [e for e in logs if e["event"] == "prepared operations are off"] == [
        {
            "event": "prepared operations are off",
            "closed_by": extension.__qualname__,
            "log_level": "warning",
        }
    ]


def test_a_document_of_several_operations_is_prepared_per_operation() -> None:
    fast = FastPathSchema(query=Query)
    plain = strawberry.Schema(query=Query)
    query = 'query A { echo(text: "a") } query B { echo(text: "b") }'
    # Without a name Strawberry runs the first operation; prepared runs must do the same.
    names = [None, "A", "B", None, "B"]

    async def run(schema: strawberry.Schema) -> list[Any]:
        return [(await schema.execute(query, operation_name=n)).data for n in names]

    answers = asyncio.run(run(fast))
    assert answers == asyncio.run(run(plain))
    assert answers == [{"echo": e} for e in "aabab"]
    assert (_fast_path(fast).planned, _fast_path(fast).prepared) == (5, 3)
