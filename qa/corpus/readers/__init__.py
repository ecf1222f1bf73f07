"""Readers: one module per file format, each turning a file into blocks (paragraphs and headings).

A reader never guesses alignment: a monolingual reader returns `Blocks` (paragraphs with their
heading levels and, for PDF, page numbers); a parallel reader (TMX, XLIFF, PO) returns `Units`
(zh text, en text) pairs that a translator already aligned. `read_file` picks the reader by the
file name's extension and applies the limits (size, pages, formats) before parsing anything.

Each reader module registers its format in qa.corpus.readers.registry; this package imports
them all, so importing it (or anything from it) gives every format. A new format is one module
that registers itself, plus its line below.

Libraries, all permissively licensed (no GPL/AGPL in the default install): pdftext (Apache-2.0,
on pypdfium2 BSD-3/Apache-2.0), trafilatura (Apache-2.0), python-docx (MIT), lxml (BSD-3),
polib (MIT).
"""

from __future__ import annotations

from qa.corpus.readers import docx, html, markdown, pdf, po, text, tmx, xliff  # noqa: F401  (they register)
from qa.corpus.readers.registry import (
    Block,
    Blocks,
    Limits,
    Reader,
    ReaderError,
    Units,
    accepted_extensions,
    check_allowed,
    check_size,
    extensions,
    format_of,
    formats,
    is_allowed,
    looks_like_text,
    parallel_formats,
    read_file,
    readers,
)

__all__ = [
    "Block",
    "Blocks",
    "Limits",
    "Reader",
    "ReaderError",
    "Units",
    "accepted_extensions",
    "check_allowed",
    "check_size",
    "extensions",
    "format_of",
    "formats",
    "is_allowed",
    "looks_like_text",
    "parallel_formats",
    "read_file",
    "readers",
]
