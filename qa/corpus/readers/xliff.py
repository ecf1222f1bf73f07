"""XLIFF 1.2 (`trans-unit`) and 2.x (`unit/segment`) localisation files via lxml (BSD-3)."""

from __future__ import annotations

from pathlib import Path

from qa.corpus.readers.parallel import _clean, _local, _parse, _units, inline_text, lang_of
from qa.corpus.readers.registry import Reader, ReaderError, Units, register
from qa.text import detect_lang


def read_xliff(path: Path) -> Units:
    root = _parse(path)
    name = Path(path).name
    if _local(root.tag) != "xliff":
        raise ReaderError(f"{name}: not an XLIFF file (root element <{_local(root.tag)}>)")
    pairs = []
    files = [f for f in root.iter() if _local(f.tag) == "file"] or [root]
    for file in files:
        source_lang = lang_of(file.get("source-language") or root.get("srcLang"))
        target_lang = lang_of(file.get("target-language") or root.get("trgLang"))
        for unit in file.iter():
            if _local(unit.tag) not in ("trans-unit", "segment"):
                continue
            source = next((c for c in unit if _local(c.tag) == "source"), None)
            target = next((c for c in unit if _local(c.tag) == "target"), None)
            if source is None or target is None:
                continue
            texts = {
                source_lang or detect_lang(inline_text(source)): _clean(inline_text(source)),
                target_lang or detect_lang(inline_text(target)): _clean(inline_text(target)),
            }
            pairs.append((texts.get("zh", ""), texts.get("en", "")))
    return _units(pairs, name, "translation units")


register(Reader("xliff", (".xliff", ".xlf"), lambda path, _limits: read_xliff(path), parallel=True))
