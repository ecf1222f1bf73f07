"""The readers' common ground: what a reader returns, the limits it reads within, and the
registry of formats that each reader module fills when it is imported.

A reader module imports this one and registers its format (`register(Reader(...))`); this
module imports no reader. `qa.corpus.readers` imports every reader, so code that reads files
imports that package and finds every format registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    def from_settings(cls, settings: Any) -> Limits:
        """The limits QA_MAX_DOCUMENT_* and QA_DOCUMENT_FORMATS give; an unknown format is a
        ValueError (settings cannot check them: the registered readers say which formats exist)."""
        unknown = sorted(set(settings.document_formats) - set(formats()))
        if unknown:
            raise ValueError(f"unknown document formats {unknown}; known: {', '.join(formats())}")
        return cls(
            max_bytes=settings.max_document_bytes,
            max_pages=settings.max_document_pages,
            max_unzipped_bytes=settings.max_document_bytes * 4,
            formats=tuple(settings.document_formats),
            timeout_seconds=settings.document_timeout_seconds,
            max_units=settings.max_document_units,
            max_chars=settings.max_document_chars,
        )


@dataclass(frozen=True)
class Reader:
    """One file format: its name, the extensions that name it, and how a file of it is read."""

    format: str
    extensions: tuple[str, ...]
    # None: plain text, which qa.corpus.parse reads by the rules of the text layouts.
    read: Callable[[Path, Limits], Blocks | Units] | None
    parallel: bool = False  # a translation memory: returns Units a translator aligned
    # Read as UTF-8 text without a parser that would refuse binary data itself.
    plain_text: bool = False


TEXT_SAMPLE_BYTES = 65536
_READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add a format (each reader module registers its own, once, when imported)."""
    taken = {e: r.format for r in _READERS.values() if r.format != reader.format for e in r.extensions}
    clashes = sorted(e for e in reader.extensions if e in taken)
    if clashes:
        raise ValueError(f"{reader.format}: extensions {clashes} already name another format")
    _READERS[reader.format] = reader
    return reader


def readers() -> tuple[Reader, ...]:
    return tuple(_READERS.values())


def formats() -> tuple[str, ...]:
    """Every registered format, in the order they were registered."""
    return tuple(_READERS)


def parallel_formats() -> tuple[str, ...]:
    return tuple(r.format for r in _READERS.values() if r.parallel)


def extensions() -> dict[str, str]:
    """extension (".md") → format name ("md")."""
    return {e: r.format for r in _READERS.values() for e in r.extensions}


def format_of(path: Path) -> str | None:
    return extensions().get(Path(path).suffix.lower())


def accepted_extensions(limits: Limits) -> str:
    """The extensions the limits allow, for a message."""
    allowed = limits.formats or formats()
    return ", ".join(sorted(e for e, f in extensions().items() if f in allowed))


def is_allowed(fmt: str | None, limits: Limits) -> bool:
    return fmt is not None and fmt in (limits.formats or formats())


def check_allowed(path: Path, limits: Limits) -> str:
    """The file's format, after checking it is one we read and within the size limit."""
    path = Path(path)
    fmt = format_of(path)
    if fmt is None or not is_allowed(fmt, limits):
        raise ReaderError(f"{path.name}: unsupported file type; accepted: " + accepted_extensions(limits))
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise ReaderError(
            f"{path.name}: {size / 1e6:.1f} MB is larger than the "
            f"{limits.max_bytes / 1e6:.1f} MB limit (QA_MAX_DOCUMENT_BYTES)"
        )
    if size == 0:
        raise ReaderError(f"{path.name}: the file is empty")
    if _READERS[fmt].plain_text and not looks_like_text(path):
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
    read = _READERS[check_allowed(path, limits)].read
    if read is None:
        raise ReaderError(f"{Path(path).name}: plain text is parsed by qa.corpus.parse")
    result = read(path, limits)
    if isinstance(result, Units):
        check_size(Path(path).name, len(result.pairs), sum(len(z) + len(e) for z, e in result.pairs), limits)
    else:
        check_size(Path(path).name, len(result.blocks), sum(len(b.text) for b in result.blocks), limits)
    return result
