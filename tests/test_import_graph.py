"""coding/ has no import circles: the facade calls the steps, the steps call the store, nothing calls back.

The graph is built from the source with ast, so imports made inside functions (the lazy imports that keep
`qcode --help` fast) count as much as the ones at the top of a module. Imports under `if TYPE_CHECKING:`
never run, so they make no circle; but the step modules may not name the facade even there (see the last
test): they take the store and plain data, never the Project.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "coding"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    # Alembic loads the migration scripts itself, by path; they are not part of the import graph.
    return {name: path for name, path in found.items() if ".migrations" not in name}


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names (`from .x import y` inside coding.a -> coding.x)."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(tree: ast.AST, type_checking: bool) -> list[ast.AST]:
    """Every import statement anywhere in the tree (functions, classes, try blocks), with or without the
    ones under `if TYPE_CHECKING:`."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        children = list(ast.iter_child_nodes(node))
        if not type_checking and _type_checking(node):
            children = [child for child in children if child not in node.body]  # type: ignore[attr-defined]
        pending.extend(children)
    return found


def imports_of(name: str, path: Path, known: set[str], type_checking: bool = False) -> set[str]:
    """Every module of the package that `name` imports anywhere in its body."""
    targets: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in import_nodes(tree, type_checking):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = resolve(name, path.name == "__init__.py", node)
            # `from . import x` and `from .store import log` name submodules; `from .x import f` names x.
            submodules = [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in known]
            candidates = submodules or [module]
        else:
            continue
        for candidate in candidates:
            # importing coding.a.b runs coding.a first: keep the deepest module of the package named
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def lazy_commands(path: Path) -> set[str]:
    """Modules a command group loads by name (`LAZY = {"cmd": ("coding.cli_x", "attr")}`): imports all the same."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "LAZY" for t in node.targets):
            for value in ast.literal_eval(node.value).values():
                found.add(value[0])
    return found


@cache
def import_graph(type_checking: bool = False) -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    graph = {name: imports_of(name, path, known, type_checking) for name, path in found.items()}
    for name, path in found.items():
        graph[name] |= lazy_commands(path) & known
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules around it, or None (depth-first search, three colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_imports_inside_functions_and_relative_imports():
    graph = import_graph()
    # project.py imports the step modules inside its methods, with relative imports
    assert {"coding.autocode", "coding.training", "coding.exchange", "coding.intercoder"} <= graph["coding.project"]
    assert "coding.store" in graph["coding.project"]
    assert "coding.store.schema" in graph["coding.store.log"]  # `from .schema import ...` inside a subpackage
    assert "coding.store.codings" in graph["coding.intercoder"]  # `from .store import codings as ...`


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"a2"}, "a2": set(), "x": {"y"}, "y": {"x"}}, ["x", "y", "x"]),
    ],
)
def test_find_cycle(graph, expected):
    assert find_cycle(graph) == expected


def test_a_function_level_import_back_is_an_edge_and_a_type_only_one_is_not(tmp_path):
    """What the check exists for: a step importing the facade inside a function closes a circle."""
    known = {"coding.project", "coding.step", "coding.models"}
    step = tmp_path / "step.py"
    step.write_text("def run():\n    from .project import Project\n    return Project\n")
    assert imports_of("coding.step", step, known) == {"coding.project"}
    typed = tmp_path / "typed.py"
    typed.write_text(
        "from typing import TYPE_CHECKING\nfrom . import models\nif TYPE_CHECKING:\n    from .project import Project\n"
    )
    assert imports_of("coding.step", typed, known) == {"coding.models"}
    assert imports_of("coding.step", typed, known, type_checking=True) == {"coding.models", "coding.project"}


def test_lazily_loaded_commands_count_as_imports():
    assert "coding.cli_deidentify" in import_graph()["coding.cli"]


@pytest.mark.parametrize("type_checking", [False, True], ids=["run-time imports", "with type-only imports"])
def test_coding_has_no_import_cycles(type_checking: bool) -> None:
    # type-only imports never run, but a circle through them still ties two modules' designs together
    cycle = find_cycle(import_graph(type_checking=type_checking))
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


STEPS = ("autocode", "training", "codings_io", "exchange", "intercoder", "publication", "ingest")


@pytest.mark.parametrize("step", STEPS)
def test_steps_never_reach_the_facade_even_for_types(step):
    graph = import_graph(type_checking=True)
    assert "coding.project" not in graph[f"coding.{step}"]
    store_modules = [name for name in graph if name == "coding.store" or name.startswith("coding.store.")]
    for name in store_modules:  # the store is the bottom layer: it knows nothing above it
        above = {target for target in graph[name] if not target.startswith("coding.store")}
        assert above <= {"coding.models", "coding.errors"}, name
