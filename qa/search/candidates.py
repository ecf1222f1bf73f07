"""Evidence for one query: every candidate passage with its dense, sentence and keyword scores.

Candidates are the dense top-N and the keyword top-N of the whole index (both languages) plus
their aligned translations, so a fact found in one language can be ranked in the other. Each
candidate carries three signals measured on its own text:
- `cos`: the query's cosine with the passage vector;
- `sent`: the best cosine with one of the passage's sentences (vectors computed at build time),
  which finds the one sentence that answers inside a long paragraph about many things;
- `kw`: its BM25 score (0 outside the keyword top-N).
Fusion (qa.search.fusion) turns these into one score per fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.store.base import PassageStore
from qa.text import tokenize
from qa.text.specific import specific_terms
from qa.text.terms import activate, terms_from_manifest

CANDIDATES = 100  # dense and keyword candidates fetched per query before translation transfer


@dataclass
class Candidates:
    rows: np.ndarray  # (m,) store rows
    langs: np.ndarray  # (m,) "zh"/"en"
    cos: np.ndarray  # (m,) query · passage vector
    sent: np.ndarray  # (m,) best query · sentence vector (= cos for a passage without sentences)
    kw: np.ndarray  # (m,) BM25 score, 0 when not a keyword candidate
    pairs: np.ndarray  # (p, 2) candidate index pairs (i, j): j is a translation of i
    tokens: list[str]  # the query's keyword tokens
    specific: list[str]  # the query's numbers and proper names (qa.text.specific)

    def __len__(self) -> int:
        return len(self.rows)

    def partners_of(self, i: int) -> np.ndarray:
        """Candidate indices of the translations of candidate i."""
        return self.pairs[self.pairs[:, 0] == i, 1]


def _best_sentence(store: PassageStore, rows: np.ndarray, qvec: np.ndarray, cos: np.ndarray) -> np.ndarray:
    """Best sentence cosine of each row (its passage cosine when it has no sentence)."""
    vectors, owners = store.sentence_vectors_of(rows)
    best = np.full(len(rows), -np.inf)
    if len(owners):
        np.maximum.at(best, owners, vectors @ qvec)
    return np.where(np.isfinite(best), best, cos)


def gather(store: PassageStore, qvecs: np.ndarray, queries: Sequence[str], depth: int = CANDIDATES) -> list[Candidates]:
    """Candidates of each query (one model call and one index call per stage for the batch)."""
    terms = terms_from_manifest(store.manifest)
    activate(terms)  # the answer side tokenises the question and its sentences the same way after this
    token_lists = [tokenize(q, terms) for q in queries]
    specifics = [specific_terms(q) for q in queries]
    if store.size == 0:
        empty = np.zeros(0)
        return [
            Candidates(
                empty.astype(np.int64), empty.astype("<U2"), empty, empty, empty, np.zeros((0, 2), np.int64), t, s
            )
            for t, s in zip(token_lists, specifics)
        ]
    _, dense_rows = store.dense_search(qvecs, min(depth, store.size))
    kw_scores, kw_rows = store.keyword_search(token_lists, min(depth, store.size))
    out = []
    for i, qvec in enumerate(qvecs):
        keyword = {int(r): float(s) for r, s in zip(kw_rows[i], kw_scores[i]) if r >= 0}
        found = {int(r) for r in dense_rows[i] if r >= 0} | keyword.keys()
        partners = {r: store.partner_rows(r) for r in found}
        for r in {p for group in list(partners.values()) for p in group} - partners.keys():
            partners[r] = store.partner_rows(r)
        rows = np.array(sorted(partners), dtype=np.int64)
        position = {int(r): j for j, r in enumerate(rows)}
        cos = store.vectors(rows) @ qvec if len(rows) else np.zeros(0, np.float32)
        out.append(
            Candidates(
                rows=rows,
                langs=store.lang_of(rows),
                cos=cos.astype(np.float64),
                sent=_best_sentence(store, rows, qvec, cos).astype(np.float64),
                kw=np.array([keyword.get(int(r), 0.0) for r in rows], dtype=np.float64),
                pairs=np.array(
                    [(j, position[p]) for j, r in enumerate(rows) for p in partners[int(r)] if p in position],
                    dtype=np.int64,
                ).reshape(-1, 2),
                tokens=token_lists[i],
                specific=specifics[i],
            )
        )
    return out
