"""Every reader works from a base install: what reading each format imports is in the base
dependencies of pyproject.toml (or what they require), never only in the test extras."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from qa.settings import PROJECT_ROOT

# Reads one small file of every format in a fresh interpreter and prints the top-level modules
# that reading loaded.
READ_EVERY_FORMAT = r"""
import json, sys
from pathlib import Path
before = set(sys.modules)
from qa.corpus.readers import read_file
folder = Path(sys.argv[1])
import docx
document = docx.Document(); document.add_paragraph("碳达峰是指排放量达到峰值。"); document.save(folder / "d.docx")
(folder / "d.html").write_text("<html><head><title>标题</title></head><body><article><h1>标题</h1>"
    + "<p>碳达峰是指二氧化碳排放量达到历史最高值，然后经历平台期进入持续下降的过程。</p>" * 5
    + "</article></body></html>", encoding="utf-8")
(folder / "d.md").write_text("# 标题\n\n碳达峰是指排放量达到峰值。\n", encoding="utf-8")
(folder / "d.tmx").write_text('<?xml version="1.0"?><tmx version="1.4"><header srclang="zh"/><body>'
    '<tu><tuv xml:lang="zh"><seg>碳达峰</seg></tuv><tuv xml:lang="en"><seg>Carbon peak</seg></tuv></tu>'
    '</body></tmx>', encoding="utf-8")
(folder / "d.po").write_text('msgid "Carbon peak"\nmsgstr "碳达峰"\n', encoding="utf-8")
for name in ("d.docx", "d.html", "d.md", "d.tmx", "d.po"):
    read_file(folder / name)
import qa.corpus.readers.pdf, qa.corpus.readers.xliff  # noqa: E401 (their imports, unread)
print(json.dumps(sorted({m.split(".")[0] for m in set(sys.modules) - before})))
"""


def _base_closure() -> set[str]:
    """The distributions a base install gets: pyproject's dependencies and theirs, no extras."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = [Requirement(r) for r in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            todo.extend(Requirement(r) for r in metadata.requires(req.name) or [])
        except metadata.PackageNotFoundError:
            continue
    return seen


def test_reading_every_format_needs_only_base_dependencies(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", READ_EVERY_FORMAT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    owners = metadata.packages_distributions()
    base = _base_closure()
    missing = {
        m: owners[m]
        for m in modules
        if m != "qa" and m in owners and not any(canonicalize_name(d) in base for d in owners[m])
    }
    assert not missing, f"reading needs modules outside the base install: {missing}"
    assert "lxml_html_clean" in modules  # the HTML reader really went through lxml.html.clean
