"""Only ``zhudai/world`` and evaluation code may touch ``DIR/truth/``.

The check walks the source of every zhudai module and flags each string literal that is a
path into the truth folder (``"truth"``, ``"truth/persons.parquet"``, ``".../truth/..."``),
unless the file or the enclosing function is evaluation code (its path or name contains
``evaluat``) or the file belongs to the world generator itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import zhudai

ROOT = Path(zhudai.__file__).parent
_TRUTH_PATH = re.compile(r"^(\S*/)?truth(/\S*)?$")


def truth_references(source: str) -> list[tuple[int, str]]:
    """(line, literal) of truth-path literals outside evaluation functions, docstrings excluded."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_evaluation: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            in_evaluation = in_evaluation or "evaluat" in node.name.lower()
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and not in_evaluation
            and _TRUTH_PATH.match(node.value)
        ):
            found.append((node.lineno, node.value))
        for child in ast.iter_child_nodes(node):
            visit(child, in_evaluation)

    visit(tree, False)
    return found


def test_no_module_outside_world_and_evaluation_reads_truth() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("world/") or "evaluat" in rel:
            continue
        offenders += [
            f"zhudai/{rel}:{line}: {text!r}" for line, text in truth_references(path.read_text())
        ]
    assert not offenders, "truth read outside zhudai/world and evaluation code:\n" + "\n".join(
        offenders
    )


def test_the_check_catches_reads_and_allows_evaluation() -> None:
    bad = 'import polars as pl\ndef f(d):\n    return pl.read_parquet(d / "truth" / "persons.parquet")\n'
    also_bad = 'P = "world/truth/applications.parquet"\n'
    ok = 'def evaluate_model(d):\n    return d / "truth"\n'
    prose = 'def f():\n    """Never reads the truth/ folder."""\n    return "uses truth/ labels"\n'
    assert truth_references(bad) == [(3, "truth")]
    assert truth_references(also_bad) == [(1, "world/truth/applications.parquet")]
    assert truth_references(ok) == []
    assert truth_references(prose) == []
