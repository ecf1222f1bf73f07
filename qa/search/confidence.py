"""Is the answer in the corpus? A small logistic model over the top result's evidence.

Features (all measured on facts, i.e. after translation transfer, without the language filter),
all relative rather than absolute, so that a corpus whose texts sit close together (or far
apart) in the embedding space is judged on the same scale — absolute cosines were measured not
to carry over between corpora:
- `lift`: the top fact's evidence (qa.search.fusion) above the median candidate's;
- `margin`: how far the top fact stands above the best different fact;
- `coverage`: the IDF-weighted share of the question's tokens found in the top passage or its
  translation. Weak alone (a paraphrase shares few words with its answer), useful combined;
- `specific_missing`: the share of the question's numbers and proper names (qa.text.specific)
  that neither the top passage nor its translation contains — what a near miss hinges on.

confidence = σ(bias + Σ wᵢ·xᵢ), answerable when confidence ≥ threshold. Weights, bias and
threshold come from qa/search/calibration.json, fitted by cross-validation (`qa eval --fit`):
nothing here is tuned by hand or knows a particular corpus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.search.candidates import Candidates
from qa.search.fusion import Fusion, transfer
from qa.store.base import PassageStore
from qa.text import tokenize
from qa.text.specific import missing_share
from qa.text.terms import Terms, active_terms

FEATURES = ("lift", "margin", "coverage", "specific_missing")


@lru_cache(maxsize=8192)
def _tokens_with(text: str, terms: Terms) -> frozenset[str]:
    return frozenset(tokenize(text, terms))


def token_set(text: str) -> frozenset[str]:
    """Tokens of a passage or sentence text (with the searched index's terms); the same top
    passages come back for many questions."""
    return _tokens_with(text, active_terms())


def idf(doc_freq: np.ndarray, size: int) -> np.ndarray:
    return np.log((size + 1) / (doc_freq + 0.5))


def term_weights(store: PassageStore, query_tokens: Sequence[str]) -> dict[str, float]:
    """IDF weight of each distinct question token (one store look-up for all of them)."""
    terms = sorted(set(query_tokens))
    return dict(zip(terms, idf(store.doc_freq(terms), store.size).tolist())) if terms else {}


def weighted_share(weights: dict[str, float], evidence_texts: Sequence[str]) -> float:
    """Share of the weighted tokens found in the evidence texts (0 when there are none)."""
    if not weights:
        return 0.0
    found: set[str] = set()
    for text in evidence_texts:
        found.update(token_set(text))
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in found) / total


def coverage(store: PassageStore, query_tokens: Sequence[str], evidence_texts: Sequence[str]) -> float:
    """IDF-weighted share of the question's distinct tokens found in the evidence texts."""
    return weighted_share(term_weights(store, query_tokens), evidence_texts)


def features(store: PassageStore, c: Candidates, fusion: Fusion) -> dict[str, float]:
    """The abstention features of one query's candidates (zeros when there are none)."""
    if not len(c):
        return dict.fromkeys(FEATURES, 0.0)
    evidence = transfer(fusion.evidence(c), c.pairs)
    order = np.argsort(-evidence, kind="stable")
    top = int(order[0])
    group = {top, *c.partners_of(top).tolist()}
    rivals = [i for i in order[1:] if i not in group]
    second = float(evidence[rivals[0]]) if rivals else float(evidence[top]) - 0.1
    passage = store.passage(int(c.rows[top]))
    texts = [passage.text, *(t.text for t in passage.translations)]
    return {
        "lift": float(evidence[top]) - float(np.median(evidence)),
        "margin": float(evidence[top]) - second,
        "coverage": coverage(store, c.tokens, texts),
        "specific_missing": missing_share(c.specific, texts),
    }


@dataclass(frozen=True)
class LogisticModel:
    """σ(bias + Σ wᵢ·xᵢ) over named features; `threshold` turns the probability into a decision."""

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5

    def confidence(self, x: dict[str, float]) -> float:
        z = self.bias + sum(w * x.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


AbstentionModel = LogisticModel  # the passage-level "is it covered at all" model
