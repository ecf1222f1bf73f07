"""Sentence candidates of the best passages, each with its aligned translation sentence.

An answer is one sentence, or two adjacent ones when the answer runs across a sentence break
(a lead-in and its list, a figure and the year it belongs to). Every sentence of the top passages
in the answer language is a candidate, and so is every pair of adjacent sentences. Each candidate
carries the sentence of the passage's translation that says the same thing (the translation
sentence whose build-time vector is closest), so verification can read the fact in both languages:
a name or a unit the question gives in English is checked against the English sentence even when
the answer is quoted in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qa.corpus.models import Passage
from qa.search.engine import Hit
from qa.store.base import PassageStore

EVIDENCE_PASSAGES = 3


@dataclass
class SentenceCandidate:
    passage: Passage
    start: int
    end: int
    rank: int  # of its passage among the search hits (0 = best)
    passage_score: float
    similarity: float  # question · sentence vector (mean vector for a pair)
    translation: str  # the aligned sentence(s) of the translation ("" when there is none)
    translation_similarity: float
    pair: bool = False
    features: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


def _translation_sentences(store: PassageStore, row: int) -> tuple[list[str], np.ndarray]:
    """Sentences and vectors of every translation of `row`."""
    texts, vectors = [], []
    for partner in store.partner_rows(row):
        text = store.passage(partner).text
        spans, vecs = store.sentences(partner)
        texts += [text[int(s) : int(e)] for s, e in spans]
        vectors += list(np.asarray(vecs, dtype=np.float32))
    return texts, (np.vstack(vectors) if vectors else np.zeros((0, 1), np.float32))


def sentence_candidates(
    store: PassageStore, question_vec: np.ndarray, hits: list[Hit], depth: int = EVIDENCE_PASSAGES
) -> list[SentenceCandidate]:
    """Sentences and adjacent sentence pairs of the top `depth` hits, in passage order."""
    out: list[SentenceCandidate] = []
    for rank, hit in enumerate(hits[:depth]):
        spans, vectors = store.sentences(hit.row)
        if not len(spans):
            continue
        vectors = np.asarray(vectors, dtype=np.float32)
        other_texts, other_vecs = _translation_sentences(store, hit.row)
        aligned = np.argmax(vectors @ other_vecs.T, axis=1) if len(other_texts) else np.full(len(spans), -1)
        other_sims = other_vecs @ question_vec if len(other_texts) else np.zeros(0)
        singles = []
        for j, (start, end) in enumerate(spans):
            k = int(aligned[j])
            singles.append(
                SentenceCandidate(
                    hit.passage,
                    int(start),
                    int(end),
                    rank,
                    hit.score,
                    float(vectors[j] @ question_vec),
                    other_texts[k] if k >= 0 else "",
                    float(other_sims[k]) if k >= 0 else 0.0,
                )
            )
        for j, first in enumerate(singles):
            out.append(first)
            if j + 1 < len(singles):
                second = singles[j + 1]
                joined = " ".join(dict.fromkeys(t for t in (first.translation, second.translation) if t))
                out.append(
                    SentenceCandidate(
                        hit.passage,
                        first.start,
                        second.end,
                        rank,
                        hit.score,
                        float(_unit(vectors[j] + vectors[j + 1]) @ question_vec),
                        joined,
                        max(first.translation_similarity, second.translation_similarity),
                        pair=True,
                    )
                )
    return out
