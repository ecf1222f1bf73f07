"""Shared by the translation-memory readers (tmx.py, xliff.py, po.py).

Each yields units a translator already aligned, as (zh, en) pairs. lxml reads the XML
encoding declaration and byte-order mark itself (UTF-16 TMX files are common). Inline markup
that carries text (<g>, <hi>, <mrk>, <pc>) keeps its text; markup that carries the original
file's codes (<bpt>, <ept>, <ph>, <it>, <x>, <bx>, <ex>) is dropped.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from qa.corpus.readers.registry import ReaderError, Units
from qa.corpus.readers.xmlsafe import safe_parser
from qa.text import clean_line

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CODE_TAGS = {"bpt", "ept", "ph", "it", "x", "bx", "ex", "sc", "ec", "sub"}


def local_name(tag) -> str:
    """An XML tag's name without its namespace ("" for comments and processing instructions)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def inline_text(element) -> str:
    """The segment's text without the native codes its inline tags carry."""
    parts = [element.text or ""]
    for child in element:
        if local_name(child.tag) not in _CODE_TAGS:
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


def parse_xml(path: Path):
    """The file's root element, parsed without entities or network access."""
    name = Path(path).name
    try:
        return etree.parse(str(path), safe_parser()).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise ReaderError(f"{name}: not well-formed XML ({exc})") from exc


def clean_segment(text: str) -> str:
    """A segment's text on one line, whitespace runs made single spaces."""
    return clean_line(" ".join(text.split()))


def both_languages(pairs: list[tuple[str, str]], name: str, what: str) -> Units:
    """The pairs with text on both sides; a file with none is refused."""
    pairs = [(z, e) for z, e in pairs if z and e]
    if not pairs:
        raise ReaderError(f"{name}: no {what} with both Chinese and English text")
    return Units(pairs)
