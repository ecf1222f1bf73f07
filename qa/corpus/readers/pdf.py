"""PDF → paragraphs with pages and headings: pdftext (Apache-2.0, on pypdfium2) plus a reflow step.

pdftext gives lines with positions and fonts, not paragraphs. The reflow step puts them back
together: a line in a larger or bold font is a heading; a new body paragraph starts at an
indented line, after a wider gap than the usual line spacing, or after a line that stops well
short of the right margin; lines repeated at the top or bottom of most pages (running headers,
page numbers) are dropped. A PDF without a text layer (a scan) is refused, not indexed as empty.

Spaces are kept as the document has them. pdfium adds a space of its own wherever glyphs stand
apart, and Chinese typesetting sets digits and Latin words a little apart from the characters
around them ("中国于2021年" is drawn with gaps but holds no space); a space pdfium made up next
to a Chinese (wide) character is therefore dropped, while one it made up between Latin words
(PDFs often position words instead of writing spaces) is kept. Lines of a Chinese paragraph
join without a space unless two Latin words meet at the break.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.corpus.metadata import pdf_date
from qa.corpus.readers.registry import Block, Blocks, Limits, Reader, ReaderError, register
from qa.text import cjk_count, detect_lang

# Share of the page height where running headers and footers live.
EDGE_BAND = 0.09
# A heading's font is at least this much larger than the body font (or bold at body size).
HEADING_SIZE_RATIO = 1.12
# Fewer characters than this per page on average: no text layer (a scanned document).
MIN_CHARS_PER_PAGE = 20
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s*)?\d{1,4}(\s*(/|of)\s*\d{1,4})?[-–—\s]*$|^第\s*\d+\s*页.*$", re.IGNORECASE)
_SENTENCE_END = tuple('。！？；：.!?;:”’")）')
# Pages read at a time: per-character data of a long PDF is not held all at once.
PAGE_BATCH = 50


@dataclass
class Line:
    text: str
    page: int  # 1-based
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _is_bold(font: dict) -> bool:
    name = (font.get("name") or "").lower()
    return (font.get("weight") or 0) >= 600 or "bold" in name or "heavy" in name or "black" in name


# A character whose width Unicode leaves open (“ ” ‘ ’ · …) is wide when its glyph is about an
# em across, as in a Chinese font, and narrow in a Latin one.
WIDE_GLYPH_EM = 0.8


def is_wide(char: str) -> bool:
    """A character set on the full-width grid: Chinese, Japanese, Korean and their punctuation."""
    return unicodedata.east_asian_width(char) in ("W", "F")


@dataclass
class Char:
    text: str
    generated: bool  # made up by pdfium, not in the document
    wide: bool


def faithful_text(chars: list[Char]) -> str:
    """A line's text from its characters: a made-up space beside a wide character is dropped
    (see the module docstring), every other character kept."""
    out: list[Char] = []
    for k, char in enumerate(chars):
        if char.generated and char.text.isspace():
            before = next((c for c in reversed(out) if not c.text.isspace()), None)
            after = next((c for c in chars[k + 1 :] if not c.text.isspace()), None)
            if (before and before.wide) or (after and after.wide):
                continue
        out.append(char)
    from pdftext.postprocessing import handle_hyphens, postprocess_text  # see _read_lines

    return handle_hyphens(postprocess_text("".join(c.text for c in out)), keep_hyphens=True)


def _char(raw: dict, size: float, generated: bool) -> Char:
    text = raw["char"]
    wide = is_wide(text) or (
        unicodedata.east_asian_width(text) == "A"
        and size > 0
        and raw["bbox"][2] - raw["bbox"][0] >= WIDE_GLYPH_EM * size
    )
    return Char(text, generated, wide)


def _lines_of(pages: list[dict], generated: Callable[[int, int], bool]) -> tuple[list[Line], dict[int, float]]:
    """Lines of pdftext's pages; `generated(page, char index)` tells a character pdfium made up."""
    lines, heights = [], {}
    for page in pages:
        number = page["page"] + 1
        heights[number] = page["height"]
        for block in page["blocks"]:
            for raw in block["lines"]:
                spans = [s for s in raw["spans"] if s["text"].strip()]
                if not spans:
                    continue
                chars = [
                    _char(c, s["font"]["size"] or 0, generated(page["page"], c["char_idx"]))
                    for s in raw["spans"]
                    for c in s["chars"]
                ]
                text = faithful_text(chars).replace("\n", " ").strip()
                text = re.sub(r"\s+", " ", text)
                weights = Counter()
                bold_chars = 0
                for s in spans:
                    n = len(s["text"].strip())
                    weights[round(s["font"]["size"] or 0, 1)] += n
                    bold_chars += n if _is_bold(s["font"]) else 0
                size = weights.most_common(1)[0][0]
                x0, y0, x1, y1 = raw["bbox"]
                lines.append(Line(text, number, x0, y0, x1, y1, size, bold_chars >= 0.8 * sum(weights.values())))
    return lines, heights


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def drop_page_furniture(lines: list[Line], heights: dict[int, float], title: str = "") -> list[Line]:
    """Drop page numbers and running headers/footers: the same text (digits aside) at the top or
    bottom of most pages, or the document's title there."""
    pages = len(heights)

    def at_edge(line: Line) -> bool:
        h = heights[line.page]
        return line.y1 < EDGE_BAND * h or line.y0 > (1 - EDGE_BAND) * h

    counts = Counter()
    for key, _page in {(_furniture_key(ln.text), ln.page) for ln in lines if at_edge(ln)}:
        counts[key] += 1
    repeated = {k for k, n in counts.items() if pages >= 2 and n >= max(2, 0.4 * pages)}
    if title.strip():
        repeated.add(_furniture_key(title))
    return [
        ln for ln in lines if not (at_edge(ln) and (_PAGE_NUMBER.match(ln.text) or _furniture_key(ln.text) in repeated))
    ]


def _join(a: str, b: str) -> str:
    if not a:
        return b
    if a.endswith("-") and len(a) > 1 and a[-2].isalpha() and b[:1].islower():
        return a[:-1] + b  # a word hyphenated at the line end
    if cjk_count(a[-1]) or cjk_count(b[0]) or is_wide(a[-1]) or is_wide(b[0]):
        return a + b  # Chinese lines join without a space
    if detect_lang(a[-200:] + b[:200]) == "zh" and not (a[-1].isalpha() and b[0].isalpha()):
        return a + b  # a number or symbol cut at the end of a line of Chinese text
    return a + " " + b


def reflow(lines: list[Line]) -> list[Block]:
    if not lines:
        return []
    sizes = Counter()
    for ln in lines:
        sizes[ln.size] += len(ln.text)
    body = sizes.most_common(1)[0][0]

    def is_heading(ln: Line) -> bool:
        if ln.size >= body * HEADING_SIZE_RATIO:
            return True
        return ln.bold and ln.size >= body * 0.95 and not ln.text.endswith(_SENTENCE_END[:5])

    heading_sizes = sorted(
        {ln.size for ln in lines if is_heading(ln) and ln.size >= body * HEADING_SIZE_RATIO}, reverse=True
    )

    def level(ln: Line) -> int:
        if ln.size in heading_sizes:
            return heading_sizes.index(ln.size) + 1
        return len(heading_sizes) + 1  # bold at body size: the lowest heading level

    body_lines = [ln for ln in lines if not is_heading(ln)]
    left = Counter(round(ln.x0) for ln in body_lines).most_common(1)[0][0] if body_lines else 0
    right = (
        statistics.quantiles([ln.x1 for ln in body_lines], n=10)[-1]
        if len(body_lines) >= 2
        else max(ln.x1 for ln in lines)
    )
    gaps = [
        b.y0 - a.y1
        for a, b in zip(body_lines, body_lines[1:])
        if a.page == b.page and not is_heading(a) and 0 <= b.y0 - a.y1 < 3 * body
    ]
    gap = statistics.median(gaps) if gaps else 0.3 * body

    blocks: list[Block] = []
    prev: Line | None = None
    for ln in lines:
        if is_heading(ln):
            lvl = level(ln)
            if (
                prev is not None
                and is_heading(prev)
                and level(prev) == lvl
                and blocks
                and blocks[-1].heading == lvl
                and ln.page == prev.page
                and ln.y0 - prev.y1 < body
            ):
                blocks[-1].text = _join(blocks[-1].text, ln.text)  # a heading on two lines
            else:
                blocks.append(Block(ln.text, heading=lvl, page=ln.page))
            prev = ln
            continue
        new = prev is None or is_heading(prev) or not blocks or blocks[-1].heading
        if not new:
            indented = ln.x0 > left + 0.8 * body
            short_before = prev.x1 < right - max(4 * body, 0.2 * (right - left))
            wide_gap = ln.page == prev.page and ln.y0 - prev.y1 > gap + 0.6 * body
            new = indented or wide_gap or (short_before and prev.text.endswith(_SENTENCE_END))
            if short_before and cjk_count(prev.text) > len(prev.text) / 2:
                new = True  # Chinese text fills every line to the margin but the last
        if new:
            blocks.append(Block(ln.text, page=ln.page))
        else:
            blocks[-1].text = _join(blocks[-1].text, ln.text)
        prev = ln
    return blocks


def _read_lines(path: Path, pages: int) -> tuple[list[Line], dict[int, float]]:
    """pdftext's lines, PAGE_BATCH pages at a time, with pdfium's made-up characters marked."""
    # pdftext and pdfium load when a PDF is read: every reader registers when qa.corpus.readers
    # is imported, and opening an index (which imports it) reads no PDF.
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from pdftext.extraction import dictionary_output

    lines: list[Line] = []
    heights: dict[int, float] = {}
    document = pdfium.PdfDocument(str(path))
    try:
        for start in range(0, pages, PAGE_BATCH):
            batch = range(start, min(pages, start + PAGE_BATCH))
            made_up: dict[int, set[int]] = {}
            for index in batch:
                textpage = document[index].get_textpage()
                try:
                    made_up[index] = {
                        i for i in range(textpage.count_chars()) if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1
                    }
                finally:
                    textpage.close()
            raw_pages = dictionary_output(str(path), page_range=batch, keep_chars=True, disable_links=True)
            more, more_heights = _lines_of(raw_pages, lambda page, i, made_up=made_up: i in made_up.get(page, ()))
            lines += more
            heights.update(more_heights)
    finally:
        document.close()
    return lines, heights


def read_pdf(path: Path, limits: Limits = Limits()) -> Blocks:
    import pypdfium2 as pdfium  # see _read_lines

    name = Path(path).name
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ReaderError(f"{name}: not a readable PDF ({exc})") from exc
    try:
        pages = len(document)
        info = document.get_metadata_dict()
        title = (info.get("Title") or "").strip()
    finally:
        document.close()
    if pages == 0:
        raise ReaderError(f"{name}: the PDF has no pages")
    if pages > limits.max_pages:
        raise ReaderError(
            f"{name}: {pages} pages is more than the {limits.max_pages}-page limit (QA_MAX_DOCUMENT_PAGES)"
        )
    try:
        lines, heights = _read_lines(path, pages)
    except Exception as exc:  # pdfium raises several types on damaged files
        raise ReaderError(f"{name}: the PDF could not be read ({type(exc).__name__}: {exc})") from exc
    if sum(len(ln.text) for ln in lines) < MIN_CHARS_PER_PAGE * pages:
        raise ReaderError(
            f"{name}: the PDF has no text layer (a scanned document?); run it through OCR first, then upload the result"
        )
    blocks = reflow(drop_page_furniture(lines, heights, title))
    properties = {"title": title, "date": pdf_date(info.get("CreationDate") or "")}
    return Blocks(blocks, title, {k: v for k, v in properties.items() if v})


register(Reader("pdf", (".pdf",), read_pdf))
