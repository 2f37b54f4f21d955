"""Names imported only for the type checker (under `if TYPE_CHECKING:`) are never used at run time.

The CLI starts fast because modules import pandas, numpy and spaCy inside the functions that use them and
under TYPE_CHECKING for annotations; a function that uses such a name without importing it fails only when
it runs (a NameError), so this test reads every module with `ast` instead of waiting for that."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imported(nodes: list[ast.stmt] | list[ast.AST]) -> set[str]:
    names = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in sub.names)
    return names


def _type_checking_only(tree: ast.Module) -> set[str]:
    guarded = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test).endswith("TYPE_CHECKING")]
    plain = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return _imported(list(guarded)) - _imported(list(plain))


def _annotation_nodes(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        for field in ("annotation", "returns"):
            part = getattr(node, field, None)
            if isinstance(part, ast.AST):
                found.update(id(n) for n in ast.walk(part))
    return found


def _misuses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = _type_checking_only(tree)
    if not guarded:
        return []
    annotations = _annotation_nodes(tree)
    label = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
    found = []

    def visit(node: ast.AST, imported: set[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            imported = imported | _imported(list(node.body))
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in guarded - imported
            and id(node) not in annotations
        ):
            found.append(f"{label}:{node.lineno}: {node.id}")
        for child in ast.iter_child_nodes(node):
            visit(child, imported)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            visit(node, set())
    return found


def test_type_checking_imports_are_not_used_at_run_time() -> None:
    modules = sorted([*(REPO / "coding").rglob("*.py"), *(REPO / "app").rglob("*.py")])
    assert [m for path in modules for m in _misuses(path)] == []


def test_the_check_finds_a_misuse(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas as pd\n\n"
        "def frame() -> pd.DataFrame:\n    return pd.DataFrame()\n\n"
        "def fine() -> pd.DataFrame:\n    import pandas as pd\n\n    return pd.DataFrame()\n",
        encoding="utf-8",
    )
    assert _misuses(bad) == ["probe.py:6: pd"]
