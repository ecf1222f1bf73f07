"""The corpus folder: which files are documents, their checksum, and adding new ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

from qa.corpus.models import Document
from qa.corpus.parse import doc_id_for, parse_path
from qa.fsutil import atomic_copy

DOCUMENT_SUFFIXES = (".txt", ".md")
# Bump when parsing changes what passages come out, so built indexes are seen as stale.
PARSER_VERSION = "2"


class CorpusError(ValueError):
    pass


def document_files(corpus_dir: Path) -> list[Path]:
    """One entry per document: for a zh/en pair, the `.zh.txt` file stands for both."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    files = sorted(p for p in corpus_dir.iterdir()
                   if p.is_file() and p.name.endswith(DOCUMENT_SUFFIXES) and p.name != "README.md")
    names = {p.name for p in files}
    return [p for p in files
            if not (p.name.endswith(".en.txt") and p.name[: -len(".en.txt")] + ".zh.txt" in names)]


def source_files(corpus_dir: Path) -> list[Path]:
    """Every file whose bytes feed the index (both halves of a pair)."""
    files = []
    for path in document_files(corpus_dir):
        files.append(path)
        if path.name.endswith(".zh.txt"):
            partner = path.with_name(path.name[: -len(".zh.txt")] + ".en.txt")
            if partner.exists():
                files.append(partner)
    return files


def corpus_checksum(corpus_dir: Path) -> str:
    digest = hashlib.sha256(f"parser:{PARSER_VERSION}\n".encode())
    for path in source_files(corpus_dir):
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_documents(corpus_dir: Path) -> list[Document]:
    documents = [parse_path(path) for path in document_files(corpus_dir)]
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.doc_id in seen:
            raise CorpusError(f"two corpus files give the same doc_id {doc.doc_id!r}: "
                              f"{seen[doc.doc_id]} and {doc.source}; rename one")
        seen[doc.doc_id] = doc.source
    if not any(doc.passages for doc in documents):
        raise CorpusError(f"no passages found in {corpus_dir}: add a .txt document")
    return documents


def _refuse_id_clash(doc_id: str, names: set[str], corpus_dir: Path) -> None:
    """A copy whose doc_id another corpus file already gives would break every later build."""
    if not corpus_dir.is_dir():
        return
    for existing in document_files(corpus_dir):
        if existing.name not in names and doc_id_for(existing) == doc_id:
            raise CorpusError(f"the corpus already has a document with doc_id {doc_id!r} "
                              f"({existing.name}); rename the file to ingest it")


def ingest(path: Path, corpus_dir: Path) -> list[Path]:
    """Copy a document (or both halves of a zh/en pair) into the corpus folder; returns the copies."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path} is not a file")
    if not path.name.endswith(DOCUMENT_SUFFIXES):
        raise CorpusError(f"{path.name}: only {', '.join(DOCUMENT_SUFFIXES)} files can be ingested")
    doc = parse_path(path)  # fail before copying anything if it cannot be parsed
    if not doc.passages:
        raise CorpusError(f"{path.name}: no paragraphs found")
    sources = [path]
    for own, other in ((".zh.txt", ".en.txt"), (".en.txt", ".zh.txt")):
        if path.name.endswith(own):
            partner = path.with_name(path.name[: -len(own)] + other)
            if partner.exists():
                sources.append(partner)
    _refuse_id_clash(doc.doc_id, {src.name for src in sources}, corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    return [atomic_copy(src, corpus_dir / src.name) for src in sources]


__all__ = ["CorpusError", "corpus_checksum", "document_files", "ingest", "load_documents"]
