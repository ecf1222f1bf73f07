"""The layout follows the data: imports only run down the layers, never back up."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from qa.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "qa"
# What each layer may NOT import (anything above it on the data path).
FORBIDDEN = {
    "text": {"corpus", "embed", "index", "store", "search", "answer", "api", "eval", "bench", "cli", "service"},
    "corpus": {"embed", "index", "store", "search", "answer", "api", "eval", "bench", "cli", "service"},
    "embed": {"index", "store", "search", "answer", "api", "eval", "bench", "cli", "service"},
    "index": {"search", "answer", "api", "eval", "bench", "cli", "service"},
    "store": {"search", "answer", "api", "eval", "bench", "cli", "service"},
    "search": {"answer", "api", "eval", "bench", "cli", "service"},
    "answer": {"api", "eval", "bench", "cli", "service"},
}


def qa_imports(path) -> set[str]:
    """Second-level names of every `qa.X` module the file imports (at any depth of the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qa."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("qa."))
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    offences = {str(path.relative_to(PROJECT_ROOT)): sorted(qa_imports(path) & FORBIDDEN[layer])
                for path in (PACKAGE / layer).rglob("*.py")}
    assert {k: v for k, v in offences.items() if v} == {}


def test_loading_an_index_does_not_import_the_build_stack():
    code = ("import sys, qa.store.local.load, qa.store.backends; "
            "print(sorted(m for m in ('qa.index.build', 'torch', 'sentence_transformers', 'qa.embed.model') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_checker_sees_a_backward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from qa.api.schemas import SearchRequest\nimport qa.answer.extract\n")
    assert qa_imports(module) == {"api", "answer"}
