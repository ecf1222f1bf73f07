"""DOCX → paragraphs, headings from the document's real Word styles, via python-docx (MIT).

A DOCX is a zip: its entries are checked (count, total uncompressed size, compression ratio)
before anything is unpacked, so a zip bomb is refused instead of filling memory.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from qa.corpus.readers.registry import Block, Blocks, Limits, Reader, ReaderError, register
from qa.text import clean_line

MAX_ENTRIES = 10_000
MAX_RATIO = 200  # uncompressed / compressed, per entry; real DOCX XML compresses ~10×
_HEADING_STYLE = re.compile(r"^(heading|标题)\s*(\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list", re.IGNORECASE)


def check_zip(path: Path, limits: Limits) -> None:
    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReaderError(f"{name}: not a valid DOCX file ({exc})") from exc
    if len(entries) > MAX_ENTRIES:
        raise ReaderError(f"{name}: {len(entries)} parts in one DOCX; refused")
    total = sum(e.file_size for e in entries)
    if total > limits.max_unzipped_bytes:
        raise ReaderError(
            f"{name}: unpacks to {total / 1e6:.0f} MB, over the "
            f"{limits.max_unzipped_bytes / 1e6:.0f} MB limit (a zip bomb?)"
        )
    for entry in entries:
        if entry.file_size > 1_000_000 and entry.file_size > MAX_RATIO * max(1, entry.compress_size):
            raise ReaderError(
                f"{name}: {entry.filename} expands {entry.file_size // max(1, entry.compress_size)}×"
                " (a zip bomb?); refused"
            )


def _heading_level(paragraph) -> int:
    style = paragraph.style
    while style is not None:
        if style.name and style.name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(style.name or "")
        if match:
            return int(match.group(2)) + 1  # Title is level 1, Heading 1 is level 2 …
        style = style.base_style
    return 0


def read_docx(path: Path, limits: Limits = Limits()) -> Blocks:
    import docx
    from docx.table import Table

    check_zip(path, limits)
    name = Path(path).name
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError/ValueError/XML errors on bad packages
        raise ReaderError(f"{name}: not a readable Word document ({type(exc).__name__}: {exc})") from exc
    blocks: list[Block] = []
    core = document.core_properties
    title = (core.title or "").strip()
    properties = {"title": title, "date": core.created.date().isoformat() if core.created else ""}
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = [" | ".join(clean_line(c.text) for c in row.cells) for row in item.rows]
            if any(r.strip(" |") for r in rows):
                blocks.append(Block("\n".join(rows)))
            continue
        text = clean_line(item.text)
        if not text:
            continue
        level = _heading_level(item)
        if level:
            blocks.append(Block(text, heading=level))
        elif _LIST_STYLE.match(item.style.name or "") and blocks and not blocks[-1].heading:
            blocks[-1].text += f"\n• {text}"
        else:
            blocks.append(Block(text))
    return Blocks(blocks, title, {k: v for k, v in properties.items() if v})


register(Reader("docx", (".docx",), read_docx))
