"""The ask pipeline: what `/v1/ask` does, as one sequence of small steps.

1. read the question: its language, what it asks for (qa.answer.question) and, in a
   conversation, the earlier questions it leans on (qa.answer.followup);
2. search: the best passages in the answer language (qa.search), with the passage-level
   evidence (qa.search.confidence features);
3. sentence candidates: sentences and adjacent pairs of the top passages, each with its aligned
   translation sentence (qa.answer.sentences);
4. verification: features of each candidate in both languages (qa.answer.verify);
5. choice: the candidate the fitted choice model prefers, and P(stated) from the fitted
   verification model, P(on the subject) from the fitted topic model;
6. response: *stated* (quote it as the answer), *related* (the subject is covered but the asked
   fact is not: quote it as `closest`, with a message naming what is missing) or *none*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.answer.followup import search_in_context
from qa.answer.messages import not_covered, not_stated
from qa.answer.question import QuestionReading, chinese_names, read_question
from qa.answer.sentences import EVIDENCE_PASSAGES, SentenceCandidate, sentence_candidates
from qa.answer.verify import annotate, best_candidate, question_features
from qa.search.calibration import Calibration
from qa.search.confidence import term_weights
from qa.search.engine import Hit, SearchEngine
from qa.store.base import PassageStore
from qa.text import detect_lang, tokenize
from qa.text.specific import specific_terms

SUPPORT = ("stated", "related", "none")


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
    support: str = "none"  # one of SUPPORT
    closest: Answer | None = None


@dataclass
class Verdict:
    """The chosen candidate (or None), its choice score and P(stated)."""

    chosen: SentenceCandidate | None
    choice: float
    stated: float
    features: dict[str, float]
    on_topic: float = 0.0  # P(the documents speak of the subject)


def prepare_candidates(
    store: PassageStore, reading: QuestionReading, question_vec: np.ndarray, hits: list[Hit]
) -> list[SentenceCandidate]:
    """Steps 3–4: the sentence candidates of the top hits, with their verification features."""
    candidates = sentence_candidates(store, question_vec, hits)
    specific = [*specific_terms(reading.text), *chinese_names(reading.text)]
    annotate(candidates, reading, term_weights(store, tokenize(reading.text)), specific)
    return candidates


def decide(
    calibration: Calibration,
    reading: QuestionReading,
    candidates: list[SentenceCandidate],
    search_features: dict[str, float],
) -> Verdict:
    """Step 5: the chosen candidate and P(stated), by the fitted models of `calibration`."""
    best, choice = best_candidate(candidates, calibration.choice)
    if best < 0:
        return Verdict(None, 0.0, 0.0, {})
    x = question_features(reading, candidates[best], choice, search_features)
    return Verdict(candidates[best], choice, calibration.verification.confidence(x), x, calibration.topic.confidence(x))


def support_of(verdict: Verdict, calibration: Calibration) -> str:
    """none when the topic model finds the subject not covered (a sentence of documents on
    another subject states nothing asked, however well it matches); else stated when P(stated)
    reaches the fitted threshold; else related."""
    if verdict.chosen is None or verdict.on_topic < calibration.topic.threshold:
        return "none"
    return "stated" if verdict.stated >= calibration.verification.threshold else "related"


def _span(candidate: SentenceCandidate, score: float) -> Answer:
    return Answer(candidate.text, candidate.passage.passage_id, candidate.start, candidate.end, round(score, 4))


def ask(
    engine: SearchEngine, question: str, lang: str | None = None, top_k: int = 5, history: list[str] | None = None
) -> AskResult:
    question_lang = detect_lang(question)
    answer_lang = lang or question_lang
    result, question_vec = search_in_context(engine, question, history, max(top_k, EVIDENCE_PASSAGES), answer_lang)
    reading = read_question(question, question_lang)
    candidates = prepare_candidates(engine.store, reading, question_vec, result.hits)
    verdict = decide(engine.calibration, reading, candidates, result.features)
    support = support_of(verdict, engine.calibration)
    span = _span(verdict.chosen, verdict.choice) if verdict.chosen is not None else None
    message = {"stated": None, "related": not_stated(reading, question_lang), "none": not_covered(question_lang)}[
        support
    ]
    return AskResult(
        question=question,
        question_lang=question_lang,
        answer_lang=answer_lang,
        answerable=support == "stated",
        confidence=round(verdict.stated, 4),
        answer=span if support == "stated" else None,
        citations=result.hits[:top_k],
        message=message,
        support=support,
        closest=span if support == "related" else None,
    )
