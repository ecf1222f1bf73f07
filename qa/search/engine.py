"""Batch-first hybrid retrieval over a PassageStore: candidates → fusion → confidence.

`search_many` is the primitive: one model call encodes every query of the batch, one store call
per stage fetches dense and keyword candidates for all of them; `search` is a batch of one. The
engine knows only the `PassageStore` protocol, so it runs the same on FAISS files or Milvus.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.corpus.models import Passage
from qa.search.calibration import Calibration, load_calibration
from qa.search.candidates import Candidates, gather
from qa.search.confidence import features
from qa.store.base import PassageStore
from qa.text import detect_lang
from qa.text.script import fold_traditional


@dataclass(frozen=True)
class Query:
    """One search request of a batch."""

    text: str
    top_k: int = 5
    lang: str | None = None


@dataclass
class Hit:
    passage: Passage
    score: float
    dense: float  # the passage's own cosine with the query
    keyword: float  # its BM25 relative to the query's best (0–1)
    row: int = -1


@dataclass
class SearchResult:
    query: str
    query_lang: str
    hits: list[Hit]
    confidence: float = 0.0
    threshold: float = 0.5
    features: dict[str, float] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def confident(self) -> bool:
        """True when the top result likely answers the query (see qa.search.confidence)."""
        return bool(self.hits) and self.confidence >= self.threshold


class SearchEngine:
    def __init__(self, store: PassageStore, encoder, calibration: Calibration | None = None):
        self.store = store
        self.encoder = encoder
        self.calibration = calibration or load_calibration()

    def encode(self, query: str) -> np.ndarray:
        return self.encode_many([query])[0]

    def encode_many(self, queries: Sequence[str]) -> np.ndarray:
        # A Traditional question is encoded in its folded form, as Traditional passages are.
        texts = [fold_traditional(q) for q in queries]
        return np.asarray(self.encoder.encode_queries(texts), dtype=np.float32)

    def candidates_many(self, queries: Sequence[str], qvecs: np.ndarray) -> list[Candidates]:
        return gather(self.store, qvecs, queries)

    def rank(self, query: str, c: Candidates, top_k: int, lang: str | None) -> SearchResult:
        """Fuse, filter and score one query's candidates."""
        fusion = self.calibration.fusion
        order, scores = fusion.rank(c, lang)
        kw_top = float(c.kw.max()) if len(c) and c.kw.max() > 0 else 1.0
        hits = [
            Hit(
                self.store.passage(int(c.rows[i])),
                round(float(s), 4),
                round(float(c.cos[i]), 4),
                round(float(c.kw[i]) / kw_top, 4),
                int(c.rows[i]),
            )
            for i, s in zip(order[:top_k], scores[:top_k])
        ]
        x = features(self.store, c, fusion)
        model = self.calibration.abstention
        return SearchResult(query, detect_lang(query), hits, round(model.confidence(x), 4), model.threshold, x)

    def search_many(self, queries: Sequence[Query | str], qvecs: np.ndarray | None = None) -> list[SearchResult]:
        """Search a batch of queries (each with its own top_k and language filter)."""
        batch = [q if isinstance(q, Query) else Query(q) for q in queries]
        texts = [q.text for q in batch]
        t0 = time.perf_counter()
        if qvecs is None:
            qvecs = self.encode_many(texts)
        t1 = time.perf_counter()
        candidates = self.candidates_many(texts, qvecs)
        t2 = time.perf_counter()
        results = [self.rank(q.text, c, q.top_k, q.lang) for q, c in zip(batch, candidates)]
        t3 = time.perf_counter()
        share = 1e3 / max(len(results), 1)  # each query's share of the batch
        for result in results:
            result.timings_ms = {"encode": (t1 - t0) * share, "retrieve": (t2 - t1) * share, "fuse": (t3 - t2) * share}
        return results

    def search(
        self, query: str, top_k: int = 5, lang: str | None = None, qvec: np.ndarray | None = None
    ) -> SearchResult:
        return self.search_many([Query(query, top_k, lang)], None if qvec is None else qvec[None, :])[0]
