"""Extractive answers: the sentence of the best passages that answers the question.

Retrieval already ranks facts (a passage and its translation score alike), so asking for
results in the answer language gives the best evidence in that language even when the
question matched the other one. Each sentence of the top passages is scored by a weighted sum
of a few signals — its own similarity to the question (vectors computed at build time), its
passage's score, the share of the question's tokens it contains, and whether it holds a number
when the question asks for a quantity — with weights fitted by cross-validation
(qa/search/calibration.json). The best sentence is returned verbatim with its offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.answer.followup import search_in_context
from qa.corpus.models import Passage
from qa.search.confidence import term_weights, weighted_share
from qa.search.engine import Hit, SearchEngine
from qa.text import detect_lang, tokenize
from qa.text.specific import missing_share, specific_terms

EVIDENCE_PASSAGES = 3
# A sentence this short is a lead-in ("防范风险。", "Guarding against risks.") or a colon
# introducing a list: the answer then takes the next sentence along.
SHORT_SENTENCE = {"zh": 12, "en": 40}

NOT_COVERED = {
    "zh": "抱歉，现有文档中没有找到这个问题的答案。下面是最接近的段落，供参考。",
    "en": "Sorry — the documents here don't answer that question. These are the closest passages.",
}

# Questions that ask for a quantity ("how many", "多少") are answered by a sentence with a number.
_QUANTITY_CUE = re.compile(r"\b(how (many|much|large|big|high|long|far|old)|what (share|percentage|"
                           r"proportion|number|amount|year)|when)\b|多少|几|比例|比重|占比|百分之|哪一年|何时|"
                           r"什么时候", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
SENTENCE_FEATURES = ("sentence", "passage", "terms", "specific", "number", "rank")


@dataclass
class Answer:
    text: str
    passage_id: str
    start: int
    end: int
    score: float


@dataclass
class AskResult:
    question: str
    question_lang: str
    answer_lang: str
    answerable: bool
    confidence: float
    answer: Answer | None
    citations: list[Hit]
    message: str | None


@dataclass
class SentenceCandidate:
    passage: Passage
    start: int
    end: int
    features: dict[str, float]


def sentence_candidates(question: str, question_vec: np.ndarray, hits: list[Hit],
                        engine: SearchEngine) -> list[SentenceCandidate]:
    """Every sentence of the top passages with its answer features, in passage order."""
    store = engine.store
    wants_number = bool(_QUANTITY_CUE.search(question))
    weights = term_weights(store, tokenize(question))  # looked up once, not per sentence
    specific = specific_terms(question)
    out = []
    for rank, hit in enumerate(hits[:EVIDENCE_PASSAGES]):
        spans, vectors = store.sentences(hit.row)
        if not len(spans):
            continue
        sims = np.asarray(vectors, dtype=np.float32) @ question_vec
        for (start, end), sim in zip(spans, sims):
            sentence = hit.passage.text[int(start):int(end)]
            out.append(SentenceCandidate(hit.passage, int(start), int(end), {
                "sentence": float(sim),
                "passage": hit.score,
                "terms": weighted_share(weights, [sentence]),
                "specific": 1.0 - missing_share(specific, [sentence]) if specific else 0.0,
                "number": float(wants_number and bool(_DIGIT.search(sentence))),
                "rank": -float(rank),
            }))
    return out


def choose(candidates: list[SentenceCandidate], weights: dict[str, float],
           forced: int | None = None) -> Answer | None:
    """The best-scoring sentence (or the `forced` one), extended past a lead-in."""
    if not candidates:
        return None
    scores = [sum(w * c.features.get(name, 0.0) for name, w in weights.items()) for c in candidates]
    best = int(np.argmax(scores)) if forced is None else forced
    chosen = candidates[best]
    text, start, end = chosen.passage.text, chosen.start, chosen.end
    follower = candidates[best + 1] if best + 1 < len(candidates) else None
    lead_in = end - start < SHORT_SENTENCE[chosen.passage.lang] or text[start:end].endswith((":", "："))
    if lead_in and follower is not None and follower.passage is chosen.passage:
        end = follower.end
    return Answer(text[start:end], chosen.passage.passage_id, start, end, round(scores[best], 4))


def ask(engine: SearchEngine, question: str, lang: str | None = None, top_k: int = 5,
        history: list[str] | None = None) -> AskResult:
    question_lang = detect_lang(question)
    answer_lang = lang or question_lang
    result, question_vec = search_in_context(engine, question, history,  # see qa/answer/followup.py
                                             max(top_k, EVIDENCE_PASSAGES), answer_lang)
    answer = None
    if result.confident:
        candidates = sentence_candidates(question, question_vec, result.hits, engine)
        answer = choose(candidates, engine.calibration.answer_weights)
    answerable = answer is not None
    return AskResult(
        question=question,
        question_lang=question_lang,
        answer_lang=answer_lang,
        answerable=answerable,
        confidence=result.confidence,
        answer=answer,
        citations=result.hits[:top_k],
        message=None if answerable else NOT_COVERED[question_lang],
    )
