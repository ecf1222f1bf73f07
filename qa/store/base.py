"""The storage seam: what search, answers and the API need from an index, whatever holds it.

Two backends implement `PassageStore`: the embedded default (FAISS + bm25s files in a versioned
local folder, `qa.store.local`) and Milvus (`qa.store.milvus`), where passages, vectors,
sentence vectors and keyword statistics all live in the engine so API replicas hold no files.
Rows are dense integers 0..size-1, stable within one index version; a build writes a complete
new version (folder or collection) and switches to it atomically.

Everything above this module (engine, answers, API, CLI) talks to a `PassageStore` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from qa.corpus.models import Document, Passage
from qa.store.filters import DocFilter


class StoreError(RuntimeError):
    """Base: the index cannot be served."""


class StoreMissing(StoreError):
    """No index has been built yet."""


class StoreCorrupt(StoreError):
    """The stored data is damaged or inconsistent (a checksum or count does not match)."""


class StoreStale(StoreError):
    """Built from another corpus, model or by other rules (format, parser, tokenizer, splitter)."""


class StoreUnavailable(StoreError):
    """The backend cannot be reached right now (network, timeout); retrying later may work."""


@dataclass
class IndexData:
    """Everything one index version holds, as a build produces it (backend-neutral)."""

    passages: list[Passage]
    documents: list[Document]
    vectors: np.ndarray  # (passages, dim), normalised, row i = passages[i]
    sentence_spans: np.ndarray  # (sentences, 3) int32 rows of [passage row, start, end], by row
    sentence_vectors: np.ndarray  # (sentences, dim), normalised
    keyword_tokens: list[list[str]]  # tokens of each passage (qa.text.tokenize)
    manifest: dict[str, Any] = field(default_factory=dict)


class VersionedStore:
    """What every backend shares: one index version, described by its manifest."""

    _manifest: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self._manifest["version"])

    @property
    def manifest(self) -> dict[str, Any]:
        return self._manifest


@runtime_checkable
class PassageStore(Protocol):
    """Read side of one index version. All batch methods take and return arrays per query."""

    @property
    def version(self) -> str: ...

    @property
    def manifest(self) -> dict[str, Any]: ...

    @property
    def size(self) -> int: ...

    # --- records -------------------------------------------------------------------------
    def passage(self, row: int) -> Passage: ...

    def row_of(self, passage_id: str) -> int | None: ...

    def partner_rows(self, row: int) -> list[int]:
        """Rows of the aligned translation(s) of `row`."""
        ...

    def lang_of(self, rows: np.ndarray) -> np.ndarray:
        """Language code ("zh"/"en") of each row, as an array of str."""
        ...

    def list_passages(
        self, doc_id: str | None, lang: str | None, offset: int, limit: int
    ) -> tuple[int, list[Passage]]: ...

    def documents(self) -> list[dict[str, Any]]:
        """Summaries: doc_id, title {zh, en}, source, format, passages {zh, en}, alignments, metadata."""
        ...

    # --- dense ---------------------------------------------------------------------------
    def dense_search(
        self, queries: np.ndarray, k: int, lang: str | None = None, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (len(queries), k), inner product, best first, rows -1 padded;
        only rows `doc_filter` keeps compete (filtered inside the search, before top-k)."""
        ...

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Passage vectors of `rows`, (len(rows), dim)."""
        ...

    def sentences(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(spans (m, 2) of [start, end] in the passage text, vectors (m, dim)) of a passage."""
        ...

    def sentence_vectors_of(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Every sentence vector of `rows` at once: (vectors (S, dim), owners (S,)), where
        owners[s] is the position in `rows` of the passage sentence s belongs to."""
        ...

    # --- keyword -------------------------------------------------------------------------
    def keyword_search(
        self, queries: Sequence[Sequence[str]], k: int, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 (scores, rows) per tokenised query, (len(queries), k), best first, -1 padded;
        rows with a score of 0 are not returned, nor rows `doc_filter` drops (before top-k)."""
        ...

    def doc_freq(self, tokens: Sequence[str]) -> np.ndarray:
        """How many passages contain each token (0 for unknown tokens)."""
        ...


def document_summaries(data: IndexData) -> list[dict[str, Any]]:
    """What every backend stores of each document: doc_id, title, source, format, passages,
    alignments, metadata."""
    return [
        {
            "doc_id": d.doc_id,
            "title": d.title,
            "source": d.source,
            "format": d.format,
            "passages": {"zh": d.count("zh"), "en": d.count("en")},
            "alignments": [a.model_dump() for a in d.alignments],
            "metadata": d.metadata,
        }
        for d in data.documents
    ]
