"""The layout follows the data: imports only run down the layers, never back up, never in a circle.

Every import counts, at any depth of a file: an import inside a function still ties the modules
together, so it is allowed only where it defers a heavy optional dependency (listed below).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from qa.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "qa"

# Bottom to top. A part of qa may import itself and the parts of lower layers only; parts that
# share a layer do not import each other. A new package or top-level module needs a place here.
LAYERS: list[set[str]] = [
    {"qa"},  # qa/__init__.py: the thread environment, set before any native library loads
    {"settings", "fsutil", "text"},
    {"corpus", "embed", "state"},
    {"store"},  # the storage protocol and both backends
    {"index"},  # the build pipeline
    {"search"},
    {"answer"},
    {"service", "analytics"},  # service opens the store, the encoder and the engine for api, cli and mcp
    {"api", "widget"},
    {"client"},
    {"cli"},
    {"eval"},
    {"bench"},
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}

# Imports inside functions that are allowed: "file: module" → why the import waits.
DEFERRED = {
    "qa/store/backends.py: qa.store.milvus.load": "pymilvus is the optional milvus extra",
    "qa/store/backends.py: qa.store.milvus.write": "pymilvus is the optional milvus extra",
    "qa/store/backends.py: qa.store.milvus.client": "pymilvus is the optional milvus extra",
    "qa/bench/cli.py: qa.bench.milvus": "pymilvus is the optional milvus extra",
    "qa/eval/cli.py: qa.eval.session": "torch and the index load for an evaluation run, not for `qa --help`",
}


def module_name(path: Path, root: Path = PROJECT_ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def qa_modules(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted((root / "qa").rglob("*.py"))}


def part_of(module: str) -> str:
    """The layer part of a module: `qa.store.local.load` → "store", `qa` → "qa"."""
    return module.split(".")[1] if "." in module else module


def imports_of(path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported qa module, inside a function?) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function: set[int] = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            in_function.update(id(node) for node in ast.walk(function) if node is not function)
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "qa":
            # `from qa.store.milvus import write` names a module; `from qa.text import tokenize` a function.
            targets = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names
            ]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.split(".")[0] == "qa"]
        found.extend((target, id(node) in in_function) for target in targets)
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module → the qa modules it imports, function-level imports included."""
    return {
        name: {target for target, _ in imports_of(path, modules) if target in modules and target != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def upward_imports(modules: dict[str, Path]) -> dict[str, list[str]]:
    offences: dict[str, list[str]] = {}
    for name, path in modules.items():
        own = RANK[part_of(name)]
        for target, _ in imports_of(path, modules):
            other = part_of(target)
            if other != part_of(name) and RANK.get(other, len(LAYERS)) >= own:
                offences.setdefault(str(path.relative_to(PROJECT_ROOT)), []).append(target)
    return offences


def deferred_imports(modules: dict[str, Path]) -> set[str]:
    return {
        f"{path.relative_to(PROJECT_ROOT)}: {target}"
        for path in modules.values()
        for target, deferred in imports_of(path, modules)
        if deferred
    }


MODULES = qa_modules()


def test_every_part_of_qa_has_a_layer():
    parts = {part_of(name) for name in MODULES} | {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    }
    assert sorted(parts - set(RANK)) == []


def test_imports_only_run_down_the_layers():
    assert upward_imports(MODULES) == {}


def test_imports_inside_functions_are_only_the_justified_deferrals():
    assert sorted(deferred_imports(MODULES) - set(DEFERRED)) == []


def test_every_listed_deferral_still_exists():
    assert sorted(set(DEFERRED) - deferred_imports(MODULES)) == []


def test_no_import_cycles():
    assert cycles(import_graph(MODULES)) == []


def test_loading_an_index_does_not_import_the_build_stack():
    code = (
        "import sys, qa.store.local.load, qa.store.backends; "
        "print(sorted(m for m in ('qa.index.build', 'torch', 'sentence_transformers', 'qa.embed.model', 'pdftext') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serving_does_not_import_the_benchmark_or_the_evaluation():
    code = (
        "import sys; from click.testing import CliRunner; from qa.cli import cli; "
        "CliRunner().invoke(cli, ['serve', '--help']); "
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith(('qa.bench', 'qa.eval'))}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture
def fake_tree(tmp_path: Path) -> Path:
    files = {
        "qa/__init__.py": "",
        "qa/text/__init__.py": "from qa.text.words import split\n",
        "qa/text/words.py": "def split(s):\n    from qa.api.schemas import X\n",
        "qa/api/__init__.py": "",
        "qa/api/schemas.py": "import qa.text.words\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_checker_sees_deferred_upward_imports_and_their_cycle(fake_tree: Path):
    modules = qa_modules(fake_tree)
    words = fake_tree / "qa/text/words.py"
    assert imports_of(words, modules) == [("qa.api.schemas", True)]
    assert imports_of(fake_tree / "qa/text/__init__.py", modules) == [("qa.text.words", False)]
    assert cycles(import_graph(modules)) == [["qa.api.schemas", "qa.text.words"]]
