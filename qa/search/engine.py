"""Hybrid retrieval: dense (FAISS) + keyword (BM25), scored per fact, not per language.

A passage and its translation state one fact in two languages, so a passage is scored by the
better of itself and its aligned translation: a question in one language then finds the other
language's paragraph as well as its own. The language filter is applied after that transfer
and before ranking, so cross-lingual lookups do not collapse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from qa.corpus.models import Passage
from qa.text import detect_lang
from qa.embed.model import Encoder
from qa.index.load import IndexBundle
from qa.search.confidence import THRESHOLD, ConfidenceModel

# Dense candidates fetched from FAISS before translation transfer and fusion.
MIN_CANDIDATES = 100
# Weight of the max-normalised BM25 score added to the cosine score. Cosines of relevant
# passages differ by a few hundredths, so a small weight lets exact numbers/names break ties
# without letting keyword noise overrule clear semantic winners (plain RRF did exactly that).
KEYWORD_WEIGHT = 0.06
RRF_K = 60  # the usual reciprocal-rank-fusion constant


@dataclass
class Hit:
    passage: Passage
    score: float
    dense: float
    keyword: float


@dataclass
class SearchResult:
    query: str
    query_lang: str
    hits: list[Hit]
    confidence: float = 0.0
    coverage: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def confident(self) -> bool:
        """True when the top result likely answers the query (see qa.search.confidence)."""
        return self.confidence >= THRESHOLD


class SearchEngine:
    def __init__(self, bundle: IndexBundle, encoder: Encoder, fusion: str = "weighted",
                 keyword_weight: float = KEYWORD_WEIGHT):
        self.bundle = bundle
        self.encoder = encoder
        self.fusion = fusion
        self.keyword_weight = keyword_weight
        self.langs = np.array([p.lang for p in bundle.passages])
        self.confidence_model = ConfidenceModel(bundle.keyword)

    def encode(self, query: str) -> np.ndarray:
        return self.encoder.encode_queries([query])[0]

    def dense_scores(self, qvec: np.ndarray, candidates: int) -> dict[int, float]:
        """Cosine of the FAISS top candidates and of their aligned translations."""
        k = min(self.bundle.faiss_index.ntotal, candidates)
        sims, rows = self.bundle.faiss_index.search(qvec[None, :].astype(np.float32), k)
        scores = {int(r): float(s) for r, s in zip(rows[0], sims[0]) if r >= 0}
        partners = {p for r in list(scores) for p in self.bundle.partner_rows[r]} - scores.keys()
        if partners:
            rows_p = sorted(partners)
            for r, s in zip(rows_p, np.asarray(self.bundle.vectors[rows_p]) @ qvec):
                scores[r] = float(s)
        return scores

    def transfer(self, own: dict[int, float]) -> dict[int, float]:
        """Score of a passage = max over itself and its translations."""
        out = {}
        for row, score in own.items():
            best = max([score] + [own.get(p, -1.0) for p in self.bundle.partner_rows[row]])
            out[row] = best
            for p in self.bundle.partner_rows[row]:
                out[p] = max(out.get(p, -1.0), best)
        return out

    @staticmethod
    def _rrf(rows: set[int], dense: dict[int, float], keyword: dict[int, float]) -> dict[int, float]:
        """Reciprocal rank fusion of the two rankings (kept to measure against; see docs/models.md)."""
        fused = dict.fromkeys(rows, 0.0)
        for ranking in (dense, keyword):
            ordered = sorted((r for r in rows if ranking.get(r, 0.0) > 0), key=lambda r: -ranking[r])
            for rank, r in enumerate(ordered, 1):
                fused[r] += 1.0 / (RRF_K + rank)
        return fused

    def search(self, query: str, top_k: int = 5, lang: str | None = None,
               qvec: np.ndarray | None = None) -> SearchResult:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if qvec is None:
            qvec = self.encode(query)
        t1 = time.perf_counter()
        dense_own = self.dense_scores(qvec, max(MIN_CANDIDATES, 10 * top_k))
        keyword_all = self.bundle.keyword.scores(query)
        t2 = time.perf_counter()
        dense = self.transfer(dense_own)
        kw_top = np.argsort(-keyword_all)[: max(MIN_CANDIDATES, 10 * top_k)]
        kw_own = {int(r): float(keyword_all[r]) for r in kw_top if keyword_all[r] > 0}
        keyword = self.transfer(kw_own) if kw_own else {}
        kw_max = max(keyword.values(), default=0.0) or 1.0
        rows = set(dense) | set(keyword)
        if lang:
            rows = {r for r in rows if self.langs[r] == lang}
        missing = [r for r in rows if r not in dense]
        if missing:  # keyword-only candidates still need a dense score
            for r, s in zip(missing, np.asarray(self.bundle.vectors[missing]) @ qvec):
                dense[r] = float(s)
        # A passage's own similarity breaks the tie with its translation.
        tie = {r: 1e-4 * dense_own.get(r, dense[r]) for r in rows}
        kw_norm = {r: keyword.get(r, 0.0) / kw_max for r in rows}
        if self.fusion == "rrf":
            fused = self._rrf(rows, dense, kw_norm)
        else:
            fused = {r: dense[r] + self.keyword_weight * kw_norm[r] for r in rows}
        scored = sorted(((fused[r] + tie[r], r, dense[r], kw_norm[r]) for r in rows), reverse=True)
        hits = [Hit(self.bundle.passages[r], round(s, 4), round(d, 4), round(k, 4))
                for s, r, d, k in scored[:top_k]]
        confidence = coverage = 0.0
        if hits:
            top = hits[0].passage
            evidence = [top.text, *(t.text for t in top.translations)]
            confidence, coverage = self.confidence_model.confidence(query, evidence, hits[0].dense)
        t3 = time.perf_counter()
        timings.update(encode=(t1 - t0) * 1e3, retrieve=(t2 - t1) * 1e3, fuse=(t3 - t2) * 1e3)
        return SearchResult(query, detect_lang(query), hits, round(confidence, 4), round(coverage, 4),
                            timings)
