"""Readers: one module per file format, each turning a file into blocks (paragraphs and headings).

A reader never guesses alignment: a monolingual reader returns `Blocks` (paragraphs with their
heading levels and, for PDF, page numbers); a parallel reader (TMX, XLIFF, PO) returns `Units`
(zh text, en text) pairs that a translator already aligned. `read_file` picks the reader by the
file name's extension and applies the limits (size, pages, formats) before parsing anything.

Libraries, all permissively licensed (no GPL/AGPL in the default install): pdftext (Apache-2.0,
on pypdfium2 BSD-3/Apache-2.0), trafilatura (Apache-2.0), python-docx (MIT), lxml (BSD-3),
polib (MIT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus.errors import CorpusError


class ReaderError(CorpusError):
    """A file that cannot be read as a document: malformed, hostile, too large, or empty."""


@dataclass
class Block:
    text: str
    heading: int = 0  # 0 = body paragraph, 1..6 = heading level
    page: int | None = None  # 1-based, PDF only


@dataclass
class Blocks:
    """One language edition: its title (if the file names one) and its blocks in reading order."""

    blocks: list[Block]
    title: str = ""
    # The file's own metadata (Markdown front matter; a PDF's or DOCX's title and date).
    properties: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass
class Units:
    """Pre-aligned translation units, each (zh text, en text)."""

    pairs: list[tuple[str, str]]
    title: str = ""


@dataclass(frozen=True)
class Limits:
    """What a reader accepts; the API and CLI build these from settings (QA_MAX_DOCUMENT_*)."""

    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    # Uncompressed bytes a DOCX (a zip) may expand to: a zip bomb stops here.
    max_unzipped_bytes: int = 200 * 1024 * 1024
    formats: tuple[str, ...] = ()  # empty = every supported format
    timeout_seconds: float = 120.0
    # What the encoder will have to read: paragraphs (or translation units) and characters.
    max_units: int = 20000
    max_chars: int = 3_000_000

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(
            max_bytes=settings.max_document_bytes,
            max_pages=settings.max_document_pages,
            max_unzipped_bytes=settings.max_document_bytes * 4,
            formats=tuple(settings.document_formats),
            timeout_seconds=settings.document_timeout_seconds,
            max_units=settings.max_document_units,
            max_chars=settings.max_document_chars,
        )


# extension → format name
EXTENSIONS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".tmx": "tmx",
    ".xliff": "xliff",
    ".xlf": "xliff",
    ".po": "po",
}
PARALLEL_FORMATS = ("tmx", "xliff", "po")
# Formats read as UTF-8 text without a parser that would refuse binary data itself.
PLAIN_TEXT_FORMATS = ("txt", "md", "po")
TEXT_SAMPLE_BYTES = 65536
ALL_FORMATS = tuple(dict.fromkeys(EXTENSIONS.values()))


def format_of(path: Path) -> str | None:
    return EXTENSIONS.get(Path(path).suffix.lower())


def check_allowed(path: Path, limits: Limits) -> str:
    """The file's format, after checking it is one we read and within the size limit."""
    path = Path(path)
    fmt = format_of(path)
    allowed = limits.formats or ALL_FORMATS
    if fmt is None or fmt not in allowed:
        raise ReaderError(
            f"{path.name}: unsupported file type; accepted: "
            + ", ".join(sorted(e for e, f in EXTENSIONS.items() if f in allowed))
        )
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ReaderError(
            f"{path.name}: {size / 1e6:.1f} MB is larger than the "
            f"{limits.max_bytes / 1e6:.1f} MB limit (QA_MAX_DOCUMENT_BYTES)"
        )
    if size == 0:
        raise ReaderError(f"{path.name}: the file is empty")
    if fmt in PLAIN_TEXT_FORMATS and not looks_like_text(path):
        raise ReaderError(f"{path.name}: not a UTF-8 text file (binary data or another encoding); refused")
    return fmt


def looks_like_text(path: Path, sample_bytes: int = TEXT_SAMPLE_BYTES) -> bool:
    """Whether the file's first bytes are UTF-8 text: no NUL, no invalid sequence (a sequence
    cut by the sample's end is fine). Plain text is decoded as UTF-8 with replacement, so
    without this check binary data would become paragraphs of mojibake."""
    with open(path, "rb") as handle:
        sample = handle.read(sample_bytes)
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(sample) - 3
    return True


def check_size(name: str, units: int, chars: int, limits: Limits) -> None:
    """Refuse a document whose paragraphs (or units) or characters pass the limits: its
    embedding would hold the encoder for too long."""
    if units > limits.max_units:
        raise ReaderError(
            f"{name}: {units:,} paragraphs or translation units, more than the "
            f"{limits.max_units:,} allowed (QA_MAX_DOCUMENT_UNITS); refused"
        )
    if chars > limits.max_chars:
        raise ReaderError(
            f"{name}: {chars:,} characters of text, more than the {limits.max_chars:,} "
            "allowed (QA_MAX_DOCUMENT_CHARS); refused"
        )


def read_file(path: Path, limits: Limits = Limits()) -> Blocks | Units:
    """Read one file with the reader its extension names (in this process), within the
    limits: the file's size and format before parsing, its units and characters after."""
    result = _read_by_format(path, limits)
    if isinstance(result, Units):
        check_size(Path(path).name, len(result.pairs), sum(len(z) + len(e) for z, e in result.pairs), limits)
    else:
        check_size(Path(path).name, len(result.blocks), sum(len(b.text) for b in result.blocks), limits)
    return result


def _read_by_format(path: Path, limits: Limits) -> Blocks | Units:
    fmt = check_allowed(path, limits)
    if fmt == "pdf":
        from qa.corpus.readers.pdf import read_pdf

        return read_pdf(path, limits)
    if fmt == "html":
        from qa.corpus.readers.html import read_html

        return read_html(path)
    if fmt == "docx":
        from qa.corpus.readers.docx import read_docx

        return read_docx(path, limits)
    if fmt == "md":
        from qa.corpus.readers.markdown import read_markdown

        return read_markdown(path)
    if fmt == "tmx":
        from qa.corpus.readers.tmx import read_tmx

        return read_tmx(path)
    if fmt == "xliff":
        from qa.corpus.readers.xliff import read_xliff

        return read_xliff(path)
    if fmt == "po":
        from qa.corpus.readers.po import read_po

        return read_po(path)
    raise ReaderError(f"{Path(path).name}: plain text is parsed by qa.corpus.parse")


__all__ = [
    "ALL_FORMATS",
    "Block",
    "Blocks",
    "EXTENSIONS",
    "Limits",
    "PARALLEL_FORMATS",
    "ReaderError",
    "Units",
    "check_allowed",
    "check_size",
    "format_of",
    "looks_like_text",
    "read_file",
]
