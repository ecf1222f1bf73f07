"""Extractive answers: the one or two sentences of the best passages that answer the question.

Retrieval already ranks facts (a passage and its translation score alike), so asking for
results in the answer language gives the best evidence in that language even when the
question matched the other one. Sentences of the top passages are then scored with the same
multilingual model (vectors precomputed at build time) together with their passage's score and
the question's words they contain, and the best one is returned verbatim with its offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.answer.followup import search_in_context
from qa.corpus.models import Passage
from qa.text import detect_lang
from qa.search.engine import Hit, SearchEngine

EVIDENCE_PASSAGES = 3
# A sentence this short is a lead-in ("防范风险。", "Guarding against risks.") or a colon
# introducing a list: the answer then takes the next sentence along.
SHORT_SENTENCE = {"zh": 12, "en": 40}

NOT_COVERED = {
    "zh": "抱歉，现有文档中没有找到这个问题的答案。下面是最接近的段落，供参考。",
    "en": "Sorry — the documents here don't answer that question. These are the closest passages.",
}


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


# Questions that ask for a quantity ("how many", "多少") are answered by a sentence with a number.
_QUANTITY_CUE = re.compile(r"\b(how (many|much|large|big|high)|what (share|percentage|proportion|"
                           r"number|amount))\b|多少|几[个项家年]|比例|比重|占比|百分之", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
# Weights of a sentence's score: its own similarity, its passage's score, and how much of the
# question's (IDF-weighted) vocabulary it contains.
W_SENTENCE, W_PASSAGE, W_TERMS, QUANTITY_BONUS = 0.4, 0.4, 0.2, 0.03


def best_span(question: str, question_vec: np.ndarray, hits: list[Hit],
              engine: SearchEngine) -> Answer | None:
    bundle = engine.bundle
    wants_number = bool(_QUANTITY_CUE.search(question))
    candidates: list[tuple[float, Passage, int, int, int]] = []  # score, passage, start, end, order
    for hit in hits[:EVIDENCE_PASSAGES]:
        row = bundle.row_of[hit.passage.passage_id]
        indices = list(bundle.sentences_of(row))
        if not indices:
            continue
        sims = np.asarray(bundle.sentence_vectors[indices]) @ question_vec
        for order, (index, sim) in enumerate(zip(indices, sims)):
            _, start, end = (int(x) for x in bundle.sentence_spans[index])
            sentence = hit.passage.text[start:end]
            score = (W_SENTENCE * float(sim) + W_PASSAGE * hit.score
                     + W_TERMS * engine.confidence_model.coverage(question, [sentence]))
            if wants_number and _DIGIT.search(sentence):
                score += QUANTITY_BONUS
            candidates.append((score, hit.passage, start, end, order))
    if not candidates:
        return None
    best = max(range(len(candidates)), key=lambda i: candidates[i][0])
    score, passage, start, end, _ = candidates[best]
    text = passage.text
    follower = candidates[best + 1] if best + 1 < len(candidates) else None
    lead_in = end - start < SHORT_SENTENCE[passage.lang] or text[start:end].endswith((":", "："))
    if lead_in and follower is not None and follower[1] is passage:
        end = follower[3]
    return Answer(text[start:end], passage.passage_id, start, end, round(score, 4))


def ask(engine: SearchEngine, question: str, lang: str | None = None, top_k: int = 5,
        history: list[str] | None = None) -> AskResult:
    question_lang = detect_lang(question)
    answer_lang = lang or question_lang
    result, question_vec = search_in_context(engine, question, history,  # see qa/answer/followup.py
                                             max(top_k, EVIDENCE_PASSAGES), answer_lang)
    answer = best_span(question, question_vec, result.hits, engine) if result.confident else None
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
