"""HTML → main-text paragraphs and h1–h6 headings via trafilatura (Apache-2.0).

trafilatura drops navigation, footers, scripts and other boilerplate; its XML output keeps
headings (`<head rend="hN">`), paragraphs and lists. A list joins the paragraph before it, as
bullet lines, the way the text parser treats "•" lines. An article split over several pages
(`name.html`, `name.part2.html`, …) is read page by page and joined by qa.corpus.sources.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from qa.corpus.readers.registry import Block, Blocks, Reader, ReaderError, register
from qa.corpus.readers.xmlsafe import safe_parser
from qa.text import clean_line


def _text(element) -> str:
    return clean_line(" ".join("".join(element.itertext()).split()))


def html_blocks(html: str | bytes, name: str = "page") -> Blocks:
    """Blocks of one page; bytes are decoded by trafilatura (meta charset, else detection)."""
    import trafilatura

    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        favor_recall=True,
        with_metadata=True,
    )
    if not xml:
        raise ReaderError(f"{name}: no article text found in the page")
    try:
        root = etree.fromstring(xml.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError as exc:
        raise ReaderError(f"{name}: the page could not be read ({exc})") from exc
    blocks: list[Block] = []
    main = root.find("main")
    for element in (main if main is not None else root).iter("head", "p", "list", "table"):
        if element.tag == "head":
            text = _text(element)
            rend = element.get("rend") or "h2"
            level = int(rend[1]) if rend[:1] == "h" and rend[1:].isdigit() else 2
            if text:
                blocks.append(Block(text, heading=level))
        elif element.tag == "list":
            items = [_text(item) for item in element.iter("item")]
            bullets = "\n".join(f"• {t}" for t in items if t)
            if not bullets:
                continue
            if blocks and not blocks[-1].heading:
                blocks[-1].text += "\n" + bullets
            else:
                blocks.append(Block(bullets))
        elif element.tag == "table":
            rows = [" | ".join(_text(c) for c in row.iter("cell")) for row in element.iter("row")]
            if any(rows):
                blocks.append(Block("\n".join(r for r in rows if r)))
        elif element.getparent() is not None and element.getparent().tag in ("item", "cell"):
            continue  # already part of its list or table
        else:
            text = _text(element)
            if text:
                blocks.append(Block(text))
    return Blocks(blocks, root.get("title") or "")


def read_html(path: Path) -> Blocks:
    return html_blocks(Path(path).read_bytes(), Path(path).name)


register(Reader("html", (".html", ".htm", ".xhtml"), lambda path, _limits: read_html(path)))
