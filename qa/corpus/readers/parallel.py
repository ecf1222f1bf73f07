"""Translation memories and localisation files: TMX, XLIFF (1.2 and 2.x) via lxml, PO via polib.

Each yields units a translator already aligned, as (zh, en) pairs. lxml reads the XML
encoding declaration and byte-order mark itself (UTF-16 TMX files are common). Inline markup
that carries text (<g>, <hi>, <mrk>, <pc>) keeps its text; markup that carries the original
file's codes (<bpt>, <ept>, <ph>, <it>, <x>, <bx>, <ex>) is dropped.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from qa.corpus.readers import ReaderError, Units
from qa.corpus.readers.xmlsafe import safe_parser
from qa.text import clean_line, detect_lang

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CODE_TAGS = {"bpt", "ept", "ph", "it", "x", "bx", "ex", "sc", "ec", "sub"}


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def inline_text(element) -> str:
    """The segment's text without the native codes its inline tags carry."""
    parts = [element.text or ""]
    for child in element:
        if _local(child.tag) not in _CODE_TAGS:
            parts.append(inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def lang_of(code: str | None) -> str | None:
    code = (code or "").lower()
    if code.startswith(("zh", "cmn", "chi")):
        return "zh"
    if code.startswith(("en", "eng")):
        return "en"
    return None


def _parse(path: Path):
    name = Path(path).name
    try:
        return etree.parse(str(path), safe_parser()).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise ReaderError(f"{name}: not well-formed XML ({exc})") from exc


def _clean(text: str) -> str:
    return clean_line(" ".join(text.split()))


def _units(pairs: list[tuple[str, str]], name: str, what: str) -> Units:
    pairs = [(z, e) for z, e in pairs if z and e]
    if not pairs:
        raise ReaderError(f"{name}: no {what} with both Chinese and English text")
    return Units(pairs)


def read_tmx(path: Path) -> Units:
    root = _parse(path)
    name = Path(path).name
    if _local(root.tag) != "tmx":
        raise ReaderError(f"{name}: not a TMX file (root element <{_local(root.tag)}>)")
    pairs = []
    for tu in root.iter("{*}tu", "tu"):
        texts: dict[str, str] = {}
        for tuv in tu:
            if _local(tuv.tag) != "tuv":
                continue
            # TMX 1.4 uses xml:lang; TMX 1.1 files still use a plain lang attribute.
            lang = lang_of(tuv.get(XML_LANG) or tuv.get("lang"))
            seg = next((c for c in tuv if _local(c.tag) == "seg"), None)
            if lang and seg is not None and lang not in texts:
                texts[lang] = _clean(inline_text(seg))
        pairs.append((texts.get("zh", ""), texts.get("en", "")))
    return _units(pairs, name, "translation units")


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
            texts = {source_lang or detect_lang(inline_text(source)): _clean(inline_text(source)),
                     target_lang or detect_lang(inline_text(target)): _clean(inline_text(target))}
            pairs.append((texts.get("zh", ""), texts.get("en", "")))
    return _units(pairs, name, "translation units")


def read_po(path: Path) -> Units:
    import polib

    name = Path(path).name
    try:
        catalogue = polib.pofile(str(path))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ReaderError(f"{name}: not a readable PO file ({exc})") from exc
    entries = [e for e in catalogue if e.msgid and e.msgstr and not e.obsolete and "fuzzy" not in e.flags]
    target = lang_of(catalogue.metadata.get("Language"))
    if target is None and entries:
        target = detect_lang(" ".join(e.msgstr for e in entries[:50]))
    pairs = []
    for entry in entries:
        source, translated = _clean(entry.msgid), _clean(entry.msgstr)
        pairs.append((translated, source) if target == "zh" else (source, translated))
    return _units(pairs, name, "translated entries")
