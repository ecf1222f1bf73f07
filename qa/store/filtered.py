"""A `PassageStore` seen through a document filter: what a filtered request searches.

Every search call of the wrapped store gets the filter (applied inside the store, before top-k);
translations outside it (a `lang` filter drops the other language) are not offered as partners.
Searching, answering, follow-ups and chat all run on this view unchanged, and a key's listings
(documents, passages, a passage by id) show only what the filter keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qa.corpus.models import Passage
from qa.store.base import PassageStore
from qa.store.filters import DocFilter

PER_DOCUMENT_READS = 8  # a listing reads up to this many kept documents one by one


class FilteredStore:
    def __init__(self, store: PassageStore, doc_filter: DocFilter) -> None:
        self.inner = store
        self.doc_filter = doc_filter

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def manifest(self) -> dict[str, Any]:
        return self.inner.manifest

    @property
    def size(self) -> int:
        return self.inner.size

    def passage(self, row: int) -> Passage:
        return self.inner.passage(row)

    def row_of(self, passage_id: str) -> int | None:
        row = self.inner.row_of(passage_id)
        return row if row is not None and self.doc_filter.matches(self.inner.passage(row)) else None

    def partner_rows(self, row: int) -> list[int]:
        return [r for r in self.inner.partner_rows(row) if self.doc_filter.matches(self.inner.passage(r))]

    def lang_of(self, rows: np.ndarray) -> np.ndarray:
        return self.inner.lang_of(rows)

    def list_passages(self, doc_id: str | None, lang: str | None, offset: int, limit: int) -> tuple[int, list[Passage]]:
        # The documents the filter keeps are read whole (a listing is a rare call): one by one
        # when they are few, else in one pass over the collection.
        kept = [d["doc_id"] for d in self.documents() if doc_id is None or d["doc_id"] == doc_id]
        reads: list[str | None] = list(kept) if len(kept) <= PER_DOCUMENT_READS else [doc_id]
        items = [
            p
            for d in reads
            for p in self.inner.list_passages(d, lang, 0, self.inner.size)[1]
            if self.doc_filter.matches(p)
        ]
        return len(items), items[offset : offset + limit]

    def documents(self) -> list[dict[str, Any]]:
        return [
            d for d in self.inner.documents() if self.doc_filter.matches_document(d["doc_id"], d.get("metadata") or {})
        ]

    def dense_search(
        self, queries: np.ndarray, k: int, lang: str | None = None, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.inner.dense_search(queries, k, lang, self.doc_filter & doc_filter)

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        return self.inner.vectors(rows)

    def sentences(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        return self.inner.sentences(row)

    def sentence_vectors_of(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return self.inner.sentence_vectors_of(rows)

    def keyword_search(
        self, queries: Sequence[Sequence[str]], k: int, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.inner.keyword_search(queries, k, self.doc_filter & doc_filter)

    def doc_freq(self, tokens: Sequence[str]) -> np.ndarray:
        return self.inner.doc_freq(tokens)


def filtered(store: PassageStore, doc_filter: DocFilter) -> PassageStore:
    """`store` itself for an empty filter, else the filtered view."""
    return FilteredStore(store, doc_filter) if doc_filter else store
