"""TMX translation memories via lxml (BSD-3): UTF-16 files, `xml:lang` or TMX 1.1's `lang`, inline codes."""

from __future__ import annotations

from pathlib import Path

from qa.corpus.readers.parallel import (
    XML_LANG,
    both_languages,
    clean_segment,
    inline_text,
    lang_of,
    local_name,
    parse_xml,
)
from qa.corpus.readers.registry import Reader, ReaderError, Units, register


def read_tmx(path: Path) -> Units:
    root = parse_xml(path)
    name = Path(path).name
    if local_name(root.tag) != "tmx":
        raise ReaderError(f"{name}: not a TMX file (root element <{local_name(root.tag)}>)")
    pairs = []
    for tu in root.iter("{*}tu", "tu"):
        texts: dict[str, str] = {}
        for tuv in tu:
            if local_name(tuv.tag) != "tuv":
                continue
            # TMX 1.4 uses xml:lang; TMX 1.1 files still use a plain lang attribute.
            lang = lang_of(tuv.get(XML_LANG) or tuv.get("lang"))
            seg = next((c for c in tuv if local_name(c.tag) == "seg"), None)
            if lang and seg is not None and lang not in texts:
                texts[lang] = clean_segment(inline_text(seg))
        pairs.append((texts.get("zh", ""), texts.get("en", "")))
    return both_languages(pairs, name, "translation units")


register(Reader("tmx", (".tmx",), lambda path, _limits: read_tmx(path), parallel=True))
