"""The layers import one way: gateway -> schema -> resolvers -> datasources, auth beside,
core beneath them all; and a package is entered through its ``__init__``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("core", "auth", "datasources", "resolvers", "schema", "gateway", "sandbox")

# What each package may import of ours, besides itself.
ALLOWED = {
    "core": set(),
    "auth": {"core"},
    "datasources": {"core"},
    "resolvers": {"core", "auth", "datasources"},
    "schema": {"core", "auth", "datasources", "resolvers"},
    "gateway": {"core", "auth", "datasources", "resolvers", "schema", "sandbox"},
    "sandbox": {"core"},
}
# Libraries a layer must not know: GraphQL documents are the schema's.
FORBIDDEN_LIBRARIES = {"resolvers": {"graphql", "strawberry"}, "auth": {"graphql", "strawberry"}}


def _imports(package: str) -> Iterator[tuple[Path, int, str]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield path, node.lineno, node.module


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


@pytest.mark.parametrize("package", OURS)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = [
        f"{_where(path, line)} imports {module}"
        for path, line, module in _imports(package)
        if (top := module.split(".")[0]) in OURS and top != package and top not in ALLOWED[package]
    ]
    assert wrong == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN_LIBRARIES))
def test_graphql_documents_stay_in_the_schema_layer(package: str) -> None:
    wrong = [
        f"{_where(path, line)} imports {module}"
        for path, line, module in _imports(package)
        if module.split(".")[0] in FORBIDDEN_LIBRARIES[package]
    ]
    assert wrong == []


@pytest.mark.parametrize("package", [p for p in OURS if p != "datasources"])
def test_datasources_is_entered_through_its_package_interfaces(package: str) -> None:
    # ``datasources`` or one of its subpackages (``datasources.cache``), never a module inside.
    subpackages = {p.name for p in (ROOT / "datasources").iterdir() if (p / "__init__.py").exists()}
    wrong = [
        f"{_where(path, line)} imports {module}"
        for path, line, module in _imports(package)
        if module.startswith("datasources.")
        and (len(module.split(".")) > 2 or module.split(".")[1] not in subpackages)
    ]
    assert wrong == []


def test_the_layers_are_all_checked() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages - {"tests", "bench"} == set(OURS)
