"""The corpus folder: which files are documents, their checksum, and adding new ones."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from qa.corpus.errors import CorpusError
from qa.corpus.meaning import Embed
from qa.corpus.models import Document
from qa.corpus.readers import Blocks, Limits, Units, extensions, read_file
from qa.corpus.readers.isolated import read_isolated
from qa.corpus.sources import Source, corpus_sources, group_sources, parse_name, parse_source, sidecar_of
from qa.fsutil import atomic_copy
from qa.text.terms import terms_checksum

# Bump when parsing changes what passages come out, so built indexes are seen as stale.
ReadFile = Callable[[Path, Limits], Blocks | Units]
PARSER_VERSION = 5  # 5: document metadata on every passage


def document_files(corpus_dir: Path) -> list[Path]:
    """One entry per document: its first file (for a pair, the Chinese edition)."""
    return [source.files[0] for source in corpus_sources(corpus_dir)]


def source_files(corpus_dir: Path) -> list[Path]:
    """Every file whose bytes feed the index (both editions, every page)."""
    return [path for source in corpus_sources(corpus_dir) for path in source.files]


def corpus_checksum(corpus_dir: Path) -> str:
    digest = hashlib.sha256(f"parser:{PARSER_VERSION}\n".encode())
    for source in corpus_sources(corpus_dir):
        sidecar = sidecar_of(source)  # metadata is part of the index: a sidecar change rebuilds
        for path in [*source.files, *([sidecar] if sidecar.is_file() else [])]:
            digest.update(path.name.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    # The corpus's own terms shape its keyword tokens: a change to them rebuilds the index too.
    digest.update(terms_checksum(corpus_dir))
    return digest.hexdigest()


def check_unique(documents: list[Document]) -> None:
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.doc_id in seen:
            raise CorpusError(
                f"two corpus files give the same doc_id {doc.doc_id!r}: {seen[doc.doc_id]} and {doc.source}; rename one"
            )
        seen[doc.doc_id] = doc.source


def load_documents(
    corpus_dir: Path,
    embed: Embed | None = None,
    limits: Limits = Limits(),
    allow_empty: bool = False,
    reader: ReadFile = read_file,
) -> list[Document]:
    """Parse every document of the folder (an empty one only with `allow_empty`); non-text
    files are read by `reader(path, limits)` (the build's reads in a child process).

    `embed(texts) -> normalised vectors` aligns two language editions by meaning; without it
    they are aligned by paragraph length. The interleaved layout is aligned by length either way.
    """
    documents = (
        [parse_source(source, embed, limits, reader) for source in corpus_sources(corpus_dir)]
        if corpus_dir.is_dir() or not allow_empty
        else []
    )
    check_unique(documents)
    if not allow_empty and not any(doc.passages for doc in documents):
        raise CorpusError(f"no passages found in {corpus_dir}: add a document")
    return documents


def _refuse_id_clash(doc_id: str, names: set[str], corpus_dir: Path) -> None:
    """A copy whose doc_id another corpus file already gives would break every later build."""
    if not corpus_dir.is_dir():
        return
    for source in corpus_sources(corpus_dir):
        if source.doc_id == doc_id and not {p.name for p in source.files} <= names:
            raise CorpusError(
                f"the corpus already has a document with doc_id {doc_id!r} "
                f"({source.label}); rename the file to ingest it"
            )


def partners(path: Path) -> list[Path]:
    """The file itself plus the other files of its document beside it (other edition, pages)."""
    path = Path(path)
    name = parse_name(path)
    if name is None:
        return [path]
    siblings = [
        p
        for p in path.parent.iterdir()
        if p.is_file()
        and (n := parse_name(p)) is not None
        and n.stem == name.stem
        and (name.lang in ("zh", "en")) == (n.lang in ("zh", "en"))
    ]
    return sorted(set(siblings) | {path})


def source_of(paths: list[Path]) -> Source:
    sources = group_sources(paths)
    if len(sources) != 1:
        raise CorpusError("these files are not one document: " + ", ".join(p.name for p in paths))
    return sources[0]


def ingest(
    path: Path, corpus_dir: Path, embed: Embed | None = None, limits: Limits = Limits(), reader=None
) -> list[Path]:
    """Copy a document (with its other edition and pages) into the corpus folder; returns the copies."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path} is not a file")
    if parse_name(path) is None:
        raise CorpusError(f"{path.name}: only {', '.join(sorted(extensions()))} files can be ingested")
    return ingest_files(partners(path), corpus_dir, embed, limits, reader)


def ingest_files(
    paths: list[Path], corpus_dir: Path, embed: Embed | None = None, limits: Limits = Limits(), reader=None
) -> list[Path]:
    """Check that `paths` form one readable document, then copy them in (each file atomically)."""
    source = source_of(paths)
    # Fail before copying anything if it cannot be parsed; untrusted files are read in a child.
    doc = parse_source(source, embed, limits, reader or read_isolated)
    if not doc.passages:
        raise CorpusError(f"{source.label}: no paragraphs found")
    _refuse_id_clash(doc.doc_id, {p.name for p in source.files}, corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    return [atomic_copy(src, corpus_dir / src.name) for src in source.files]


__all__ = [
    "CorpusError",
    "corpus_checksum",
    "document_files",
    "ingest",
    "ingest_files",
    "load_documents",
    "source_files",
]
