"""XLIFF 1.2 (`trans-unit`) and 2.x (`unit/segment`) localisation files via lxml (BSD-3)."""

from __future__ import annotations

from pathlib import Path

from qa.corpus.readers.parallel import both_languages, clean_segment, inline_text, lang_of, local_name, parse_xml
from qa.corpus.readers.registry import Reader, ReaderError, Units, register
from qa.text import detect_lang


def read_xliff(path: Path) -> Units:
    root = parse_xml(path)
    name = Path(path).name
    if local_name(root.tag) != "xliff":
        raise ReaderError(f"{name}: not an XLIFF file (root element <{local_name(root.tag)}>)")
    pairs = []
    files = [f for f in root.iter() if local_name(f.tag) == "file"] or [root]
    for file in files:
        source_lang = lang_of(file.get("source-language") or root.get("srcLang"))
        target_lang = lang_of(file.get("target-language") or root.get("trgLang"))
        for unit in file.iter():
            if local_name(unit.tag) not in ("trans-unit", "segment"):
                continue
            source = next((c for c in unit if local_name(c.tag) == "source"), None)
            target = next((c for c in unit if local_name(c.tag) == "target"), None)
            if source is None or target is None:
                continue
            texts = {
                source_lang or detect_lang(inline_text(source)): clean_segment(inline_text(source)),
                target_lang or detect_lang(inline_text(target)): clean_segment(inline_text(target)),
            }
            pairs.append((texts.get("zh", ""), texts.get("en", "")))
    return both_languages(pairs, name, "translation units")


register(Reader("xliff", (".xliff", ".xlf"), lambda path, _limits: read_xliff(path), parallel=True))
