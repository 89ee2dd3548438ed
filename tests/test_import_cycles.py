"""No import cycles among gains modules, and no imports of gains modules hidden in functions.

The imports are read from the source with `ast`, so nothing is imported to check them. An
import under `if TYPE_CHECKING:` is for annotations only (the models name each other that
way, and their relationships by class name, as SQLAlchemy documents) and never runs, so it
is not an edge. An import inside a function is an edge like any other: deferring an import
does not remove a cycle, it only hides it until the function runs. Such imports are allowed
only where `DEFERRED` says why.

Importing `gains.a.b` runs `gains/__init__.py` and `gains/a/__init__.py` first; those
parents are not counted as edges, since a package's own submodules may import its names
while it loads. What a package's `__init__.py` itself imports is counted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gains"

# Modules whose functions may import gains modules, and why.
DEFERRED = {
    "gains": "the application factory wires every part into an app when one is built, so "
    "importing any one module (a model, the statistics) does not load every blueprint",
    "gains.api": "`init_app` is the API's share of the factory: `gains.errors` and "
    "`gains.auth` import `gains.api.problems` without loading every resource",
    "gains.stats_cli": "each `gains stats` command imports the statistics it runs, so "
    "`gains --help` loads none of them (`stats.power` alone brings scipy.optimize)",
}

# Cycles known when this test was written, each to be dropped when its branch is merged.
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, known: set[str]):
    """The gains modules an import statement loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    found = set()
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        found.add(submodule if submodule in known else base)
    return found & known


def imports_of(
    source: str, importer: str, is_package: bool, known: set[str]
) -> Iterable[tuple[str, bool]]:
    """(imported gains module, whether the import is inside a function) for one module."""

    def walk(body: list[ast.stmt], in_function: bool):
        for node in body:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.orelse, in_function)
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, importer, is_package, known):
                    yield target, in_function
                continue
            nested = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(node, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.AST):
                    yield from walk(block, nested)

    yield from walk(ast.parse(source).body, False)


def import_graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every module's runtime imports of gains modules, and those made inside functions."""
    paths = {module_name(path, root): path for path in root.rglob("*.py")}
    known = set(paths)
    edges: dict[str, set[str]] = {name: set() for name in paths}
    deferred: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        for target, in_function in imports_of(path.read_text(), name, is_package, known):
            if target != name:
                edges[name].add(target)
            if in_function:
                deferred.setdefault(name, set()).add(target)
    return edges, deferred


def cycles(edges: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE)


def test_no_import_cycles_among_gains_modules(graph):
    edges, _ = graph
    unexpected = [sorted(cycle) for cycle in cycles(edges) if cycle not in KNOWN_CYCLES]
    assert unexpected == [], f"import cycles: {unexpected}"


def test_every_known_cycle_is_still_there(graph):
    edges, _ = graph
    gone = [sorted(cycle) for cycle in KNOWN_CYCLES if cycle not in cycles(edges)]
    assert gone == [], f"no longer cycles: drop them from KNOWN_CYCLES: {gone}"


def test_gains_modules_are_imported_in_functions_only_where_deferred_says_why(graph):
    _, deferred = graph
    unexplained = {name: sorted(targets) for name, targets in deferred.items()}
    for name in DEFERRED:
        unexplained.pop(name, None)
    assert unexplained == {}, "import these at the top of the module, or say why in DEFERRED"
    stale = sorted(set(DEFERRED) - set(deferred))
    assert stale == [], f"these no longer defer an import: drop them from DEFERRED: {stale}"


def test_the_reader_sees_real_imports_and_skips_type_checking_ones(graph):
    edges, deferred = graph
    assert "gains.measurements.many" in edges["gains.measurements.views"]
    assert "gains.models.base" in edges["gains.models.improvement"]
    # The models name each other for annotations only.
    assert "gains.models.measurement" not in edges["gains.models.improvement"]
    assert "gains.admin.views" in deferred["gains"]


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pkg import c\n"
        "def late():\n"
        "    from pkg.a import thing\n"
    )
    (package / "c.py").write_text("from . import b\n")
    edges, deferred = import_graph(package)
    assert cycles(edges) == [frozenset({"pkg.a", "pkg.b"})]
    assert deferred == {"pkg.b": {"pkg.a"}}
    assert edges["pkg.c"] == {"pkg.b"}
