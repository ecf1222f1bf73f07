"""Open the live local index version (FAISS + bm25s files) as a `PassageStore`.

Refuses a missing, corrupted or stale version with a message that says what to do. Only real
damage (a checksum or count that does not match, a file that will not parse) is reported as
corruption; anything else is a bug and propagates as such. Imports nothing of the build stack.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
from pydantic import ValidationError

from qa.corpus.models import Passage
from qa.corpus.store import corpus_checksum
from qa.fsutil import sha256_file
from qa.store.base import StoreCorrupt, StoreMissing, StoreStale, VersionedStore
from qa.store.filters import DocFilter
from qa.store.format import stale_components
from qa.store.local.keyword import KeywordIndex
from qa.store.local.vectors import filtered_dense_search, read_faiss

CURRENT = "CURRENT"
MASK_CACHE = 32  # row masks of recent filters (a widget key asks with the same filter all day)


class LocalStore(VersionedStore):
    """One verified version folder: passages, vectors (memory-mapped), FAISS, BM25, sentences."""

    def __init__(
        self,
        folder: Path,
        manifest: dict,
        passages: list[Passage],
        vectors: np.ndarray,
        faiss_index: faiss.Index,
        keyword: KeywordIndex,
        documents: list[dict],
        sentence_spans: np.ndarray,
        sentence_vectors: np.ndarray,
    ) -> None:
        self.folder = folder
        self._manifest = manifest
        self.passages = passages
        self.vectors_matrix = vectors
        self.faiss_index = faiss_index
        self.keyword = keyword
        self._documents = documents
        self.sentence_spans = sentence_spans  # rows of [passage row, start, end], grouped by row
        self.sentence_vectors = sentence_vectors
        self._row_of = {p.passage_id: i for i, p in enumerate(passages)}
        self._partners = [
            [self._row_of[t.passage_id] for t in p.translations if t.passage_id in self._row_of] for p in passages
        ]
        self._langs = np.array([p.lang for p in passages], dtype="<U2")
        # Filters are per document (but `lang`): a mask over documents, spread to their rows.
        doc_ids = list(dict.fromkeys(p.doc_id for p in passages))
        number = {d: i for i, d in enumerate(doc_ids)}
        self._doc_of_row = np.array([number[p.doc_id] for p in passages], dtype=np.int64)
        first = {}
        for p in passages:
            first.setdefault(p.doc_id, p.metadata)
        self._doc_fields = [(d, first[d]) for d in doc_ids]
        self._masks: dict[DocFilter, np.ndarray] = {}
        rows = np.asarray(sentence_spans[:, 0]) if len(sentence_spans) else np.zeros(0, int)
        self._sentence_bounds = np.searchsorted(rows, np.arange(len(passages) + 1))

    # --- identity ------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return len(self.passages)

    # --- records -------------------------------------------------------------------------
    def passage(self, row: int) -> Passage:
        return self.passages[row]

    def row_of(self, passage_id: str) -> int | None:
        return self._row_of.get(passage_id)

    def partner_rows(self, row: int) -> list[int]:
        return self._partners[row]

    def lang_of(self, rows: np.ndarray) -> np.ndarray:
        return self._langs[np.asarray(rows, dtype=np.int64)]

    def list_passages(self, doc_id: str | None, lang: str | None, offset: int, limit: int) -> tuple[int, list[Passage]]:
        items = [
            p for p in self.passages if (doc_id is None or p.doc_id == doc_id) and (lang is None or p.lang == lang)
        ]
        return len(items), items[offset : offset + limit]

    def documents(self) -> list[dict]:
        return self._documents

    def row_mask(self, doc_filter: DocFilter) -> np.ndarray:
        """Which rows `doc_filter` keeps (boolean, one per row); the last few masks are kept."""
        mask = self._masks.get(doc_filter)
        if mask is None:
            docs = np.array([doc_filter.matches_document(d, m) for d, m in self._doc_fields], dtype=bool)
            mask = docs[self._doc_of_row] if len(docs) else np.zeros(0, dtype=bool)
            for field, values in doc_filter.clauses:
                if field == "lang":
                    mask &= np.isin(self._langs, list(values))
            if len(self._masks) >= MASK_CACHE:
                self._masks.pop(next(iter(self._masks)))
            self._masks[doc_filter] = mask
        return mask

    # --- dense ---------------------------------------------------------------------------
    def dense_search(
        self, queries: np.ndarray, k: int, lang: str | None = None, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.vectors_matrix.shape[1])
        n = len(queries)
        out_scores = np.full((n, k), -np.inf, dtype=np.float32)
        out_rows = np.full((n, k), -1, dtype=np.int64)
        if self.size == 0 or n == 0:
            return out_scores, out_rows
        if doc_filter:
            mask = self.row_mask(doc_filter)
            if lang is not None:
                mask = mask & (self._langs == lang)
            return filtered_dense_search(self.faiss_index, self.vectors_matrix, queries, k, mask)
        # A language filter keeps half the rows at most: fetch enough to fill k after filtering.
        fetch = min(self.size, k if lang is None else 2 * k + 16)
        scores, rows = self.faiss_index.search(queries, fetch)
        for i in range(n):
            keep = rows[i] >= 0
            if lang is not None:
                keep &= self._langs[np.maximum(rows[i], 0)] == lang
            s, r = scores[i][keep][:k], rows[i][keep][:k]
            out_scores[i, : len(s)], out_rows[i, : len(r)] = s, r
        return out_scores, out_rows

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return np.asarray(self.vectors_matrix[rows], dtype=np.float32)

    def sentences(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = int(self._sentence_bounds[row]), int(self._sentence_bounds[row + 1])
        return np.asarray(self.sentence_spans[lo:hi, 1:3]), np.asarray(self.sentence_vectors[lo:hi])

    def sentence_vectors_of(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self._sentence_bounds[rows], self._sentence_bounds[rows + 1]
        counts = ends - starts
        owners = np.repeat(np.arange(len(rows)), counts)
        # Index s of owner k runs from starts[k]: offset within the owner plus its start.
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        indices = np.repeat(starts, counts) + within
        return np.asarray(
            self.sentence_vectors[indices] if len(indices) else np.zeros((0, self.vectors_matrix.shape[1]), np.float32),
            dtype=np.float32,
        ), owners

    # --- keyword -------------------------------------------------------------------------
    def keyword_search(
        self, queries: Sequence[Sequence[str]], k: int, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        allowed = self.row_mask(doc_filter) if doc_filter else None
        return self.keyword.search([list(q) for q in queries], k, allowed)

    def doc_freq(self, tokens: Sequence[str]) -> np.ndarray:
        return self.keyword.doc_freq(list(tokens))


def live_version(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        raise StoreMissing(f"no index in {index_dir}: run `qa build`")
    folder = index_dir / pointer.read_text().strip()
    if not folder.is_dir():
        raise StoreCorrupt(f"{pointer} names {folder.name}, which does not exist: run `qa build`")
    return folder


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise StoreCorrupt(f"{folder.name}/manifest.json is unreadable ({exc}): run `qa build`") from exc
    if not isinstance(manifest, dict):
        raise StoreCorrupt(f"{folder.name}/manifest.json is not a manifest: run `qa build`")
    stale = stale_components(manifest)
    if stale:
        raise StoreStale(f"index {folder.name} was written by other rules ({', '.join(stale)}): run `qa build`")
    return manifest


def verify_files(folder: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise StoreCorrupt(f"index file {folder.name}/{name} is missing: run `qa build`")
        if sha256_file(path) != expected:
            raise StoreCorrupt(f"index file {folder.name}/{name} is corrupted (checksum mismatch): run `qa build`")


def check_fresh(manifest: dict, corpus_dir: Path, model_id: str) -> None:
    if manifest["model_id"] != model_id:
        raise StoreStale(
            f"index was built with model {manifest['model_id']}, but QA_MODEL gives {model_id}: run `qa build`"
        )
    if manifest["corpus_checksum"] != corpus_checksum(corpus_dir):
        raise StoreStale(f"the corpus in {corpus_dir} changed since the index was built: run `qa build`")


# What a checksum-valid file that still fails to parse raises; other exceptions are bugs.
_PARSE_ERRORS = (OSError, ValueError, KeyError, EOFError, ValidationError, RuntimeError)


def load_index(
    index_dir: Path, corpus_dir: Path | None = None, model_id: str | None = None, folder: Path | None = None
) -> LocalStore:
    """Load and verify the live version (or `folder`); with corpus_dir/model_id, also check freshness."""
    folder = folder or live_version(index_dir)
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    if corpus_dir is not None and model_id is not None:
        check_fresh(manifest, corpus_dir, model_id)
    try:
        with open(folder / "passages.jsonl", encoding="utf-8") as handle:
            passages = [Passage.model_validate_json(line) for line in handle if line.strip()]
        documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        faiss_index = read_faiss(folder / "vectors.faiss", manifest["index_kind"])
        keyword = KeywordIndex.load(folder / "keyword", len(passages))
        sentence_spans = np.load(folder / "sentences.npy")
        sentence_vectors = np.load(folder / "sentence_vectors.npy", mmap_mode="r")
    except _PARSE_ERRORS as exc:  # faiss raises RuntimeError on a damaged file
        raise StoreCorrupt(f"index {folder.name} cannot be read ({exc}): run `qa build`") from exc
    if not (len(passages) == vectors.shape[0] == faiss_index.ntotal == manifest["passage_count"]):
        raise StoreCorrupt(f"index {folder.name} is inconsistent: passage and vector counts differ")
    if len(sentence_spans) != len(sentence_vectors):
        raise StoreCorrupt(f"index {folder.name} is inconsistent: sentence and vector counts differ")
    return LocalStore(
        folder,
        manifest,
        passages,
        vectors,
        faiss_index,
        keyword,
        documents,
        sentence_spans.reshape(-1, 3),
        sentence_vectors,
    )
