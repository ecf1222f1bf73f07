"""Fusion: from a query's candidates to one score per passage, scored per fact.

A passage and its translation state one fact in two languages, so a passage scores the better
of itself and its aligned translation(s): a question in one language finds the other language's
paragraph as well as its own (translation transfer).

    evidence(p) = (1 − sentence_weight) · cos(q, p) + sentence_weight · max_s cos(q, s ∈ p)
    fact(p)     = max(evidence(p), evidence(translations of p))
    score(p)    = fact(p) + keyword_weight · bm25_fact(p) / max bm25_fact

The two weights are fitted by cross-validation (`qa eval --fit`); with both at 0 this is the
plain dense model, which the fitted ranking must never fall below on held-out folds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.search.candidates import Candidates

TIE_BREAK = 1e-4  # a passage's own evidence breaks the tie with its translation


def transfer(values: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Each candidate's value raised to the best of its translations' values."""
    out = values.copy()
    if len(pairs):
        np.maximum.at(out, pairs[:, 0], values[pairs[:, 1]])
    return out


@dataclass(frozen=True)
class Fusion:
    sentence_weight: float = 0.5
    keyword_weight: float = 0.0

    def evidence(self, c: Candidates) -> np.ndarray:
        return (1 - self.sentence_weight) * c.cos + self.sentence_weight * c.sent

    def scores(self, c: Candidates) -> np.ndarray:
        """Fused score of every candidate (tie-break included)."""
        if not len(c):
            return np.zeros(0)
        own = self.evidence(c)
        fact = transfer(own, c.pairs)
        if self.keyword_weight:
            kw = transfer(c.kw, c.pairs)
            top = kw.max()
            if top > 0:
                fact = fact + self.keyword_weight * kw / top
        return fact + TIE_BREAK * own

    def rank(self, c: Candidates, lang: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(candidate indices best first, their scores), only `lang` when given."""
        scores = self.scores(c)
        keep = np.arange(len(c)) if lang is None else np.flatnonzero(c.langs == lang)
        order = keep[np.argsort(-scores[keep], kind="stable")]
        return order, scores[order]
