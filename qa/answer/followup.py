"""Follow-up questions: read a question in the light of the questions asked before it.

People chat: "全国碳排放权交易市场是哪一年启动的？" then "目前纳入了哪些行业？"; "What does the 1 stand
for in 1+N?" then "And the N?". Asked alone, such a follow-up lands on whichever paragraph
shares its few words. Nothing here generates text or needs another model: each question has two
readings, and a small fitted rule picks one.

- **alone**: the question by itself, exactly as without a conversation;
- **in context**: the question joined to the reading of the turn before it — texts concatenated
  for the keyword side, `question vector + α · context vector` (re-normalised) for the dense side.

A follow-up's answer paragraph is about the earlier topic *and* about what the follow-up asks,
so by the question's own ranking it is nearly as good as the question's own top paragraph. After
a change of topic the context drags the search back to the old topic, to a paragraph the question
alone ranks far lower and whose words it barely shares. So the in-context reading is taken when

    drop = (own score of its top − own score of the alone top) + λ · (coverage difference) ≥ −θ

where "own score" is the question's fused score by itself and "coverage" the IDF-weighted share
of the question's words in a paragraph (qa.search.confidence). α, λ and θ are fitted on a
follow-up set by qa/eval/followup.py and read from calibration.json (`followup`). Earlier
turns are read the same way, oldest first, so a chain of follow-ups carries its topic along and a
change of topic resets it. Answers still quote only the documents: the context only steers search.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qa.search.confidence import coverage
from qa.search.engine import SearchEngine, SearchResult
from qa.text import tokenize

MAX_HISTORY = 5
# The question's own ranking is read this deep; a paragraph below it counts as the last score.
PROBE_DEPTH = 10


@dataclass(frozen=True)
class Rule:
    history_weight: float  # α: weight of the context vector next to the question's own
    term_weight: float  # λ: weight of the question's coverage difference next to its score drop
    max_drop: float  # θ: the largest drop of the question's own match the context may cost


def fitted_rule(engine: SearchEngine) -> Rule:
    """The rule of the engine's calibration file."""
    return Rule(**engine.calibration.followup)


@dataclass
class Reading:
    """One way of reading a question: keyword text, unit query vector and what search found."""

    text: str
    vec: np.ndarray
    result: SearchResult

    @property
    def top_id(self) -> str | None:
        return self.result.hits[0].passage.passage_id if self.result.hits else None


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


def _evidence(result: SearchResult) -> list[str]:
    top = result.hits[0].passage
    return [top.text, *(t.text for t in top.translations)]


def question_coverage(engine: SearchEngine, question: str, texts: list[str]) -> float:
    """IDF-weighted share of the question's tokens in `texts` (qa.search.confidence.coverage)."""
    return coverage(engine.store, tokenize(question), texts)


def _drop(engine: SearchEngine, question: str, alone: SearchResult, joined: SearchResult, rule: Rule) -> float:
    """How much worse the in-context top paragraph matches the question itself (≤ 0 is worse)."""
    own = {h.passage.passage_id: h.score for h in alone.hits}
    floor = alone.hits[-1].score
    top = joined.hits[0].passage.passage_id
    score_drop = own.get(top, floor) - alone.hits[0].score
    term_drop = question_coverage(engine, question, _evidence(joined)) - question_coverage(
        engine, question, _evidence(alone)
    )
    return score_drop + rule.term_weight * term_drop


def read(
    engine: SearchEngine, question: str, context: Reading | None, top_k: int, lang: str | None, rule: Rule
) -> Reading:
    """The question alone, or joined to `context` when the rule says it leans on it."""
    vec = engine.encode(question)
    depth = max(top_k, PROBE_DEPTH)
    alone = Reading(question, vec, engine.search(question, top_k=depth, lang=lang, qvec=vec))
    if context is None or not alone.result.hits:
        return alone
    joined_vec = _unit(vec + rule.history_weight * context.vec)
    joined_text = f"{context.text}\n{question}"
    joined = Reading(joined_text, joined_vec, engine.search(joined_text, top_k=depth, lang=lang, qvec=joined_vec))
    if not joined.result.hits:
        return alone
    if joined.top_id == alone.top_id:  # same paragraph: keep whichever reading it fits better
        return joined if joined.result.confidence > alone.result.confidence else alone
    return joined if _drop(engine, question, alone.result, joined.result, rule) >= -rule.max_drop else alone


def search_in_context(
    engine: SearchEngine,
    question: str,
    history: list[str] | None,
    top_k: int,
    lang: str | None,
    rule: Rule | None = None,
) -> tuple[SearchResult, np.ndarray]:
    """Search for `question` after the earlier questions `history` (oldest first).

    Returns the search result and the query vector used (for sentence scoring). Without history
    this is exactly `engine.search(question, top_k, lang)` with the question's own vector.
    """
    if not history:
        vec = engine.encode(question)
        return engine.search(question, top_k=top_k, lang=lang, qvec=vec), vec
    rule = rule or fitted_rule(engine)
    context = None
    for earlier in history[-MAX_HISTORY:]:
        context = read(engine, earlier, context, top_k, lang, rule)
    reading = read(engine, question, context, top_k, lang, rule)
    return replace(reading.result, hits=reading.result.hits[:top_k]), reading.vec
