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
follow-up set by `fit_rule` and measured on held-out folds by `evaluate_followups`. Earlier
turns are read the same way, oldest first, so a chain of follow-ups carries its topic along and a
change of topic resets it. Answers still quote only the documents: the context only steers search.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

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
    term_weight: float     # λ: weight of the question's coverage difference next to its score drop
    max_drop: float        # θ: the largest drop of the question's own match the context may cost


# Fitted on tests/data/followup.jsonl by fit_rule (tests/test_followup.py checks it still is).
DEFAULT_RULE = Rule(history_weight=0.5, term_weight=0.0, max_drop=0.04)

# The grid fit_rule searches.
HISTORY_WEIGHTS = (0.25, 0.5, 0.75, 1.0)
TERM_WEIGHTS = (0.0, 0.025, 0.05, 0.1)
MAX_DROPS = tuple(round(0.005 * i, 3) for i in range(21))  # 0 … 0.1


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


def question_coverage(engine, question: str, texts: list[str]) -> float:
    """IDF-weighted share of the question's tokens in `texts` (qa.search.confidence.coverage)."""
    return coverage(engine.store, tokenize(question), texts)


def _drop(engine, question: str, alone: SearchResult, joined: SearchResult, rule: Rule) -> float:
    """How much worse the in-context top paragraph matches the question itself (≤ 0 is worse)."""
    own = {h.passage.passage_id: h.score for h in alone.hits}
    floor = alone.hits[-1].score
    top = joined.hits[0].passage.passage_id
    score_drop = own.get(top, floor) - alone.hits[0].score
    cover = engine.coverage if isinstance(engine, _Memo) else (lambda q, t: question_coverage(engine, q, t))
    term_drop = cover(question, _evidence(joined)) - cover(question, _evidence(alone))
    return score_drop + rule.term_weight * term_drop


def read(engine, question: str, context: Reading | None, top_k: int, lang: str | None,
         rule: Rule) -> Reading:
    """The question alone, or joined to `context` when the rule says it leans on it."""
    vec = engine.encode(question)
    depth = max(top_k, PROBE_DEPTH)
    alone = Reading(question, vec, engine.search(question, top_k=depth, lang=lang, qvec=vec))
    if context is None or not alone.result.hits:
        return alone
    joined_vec = _unit(vec + rule.history_weight * context.vec)
    joined_text = f"{context.text}\n{question}"
    joined = Reading(joined_text, joined_vec, engine.search(joined_text, top_k=depth, lang=lang,
                                                            qvec=joined_vec))
    if not joined.result.hits:
        return alone
    if joined.top_id == alone.top_id:  # same paragraph: keep whichever reading it fits better
        return joined if joined.result.confidence > alone.result.confidence else alone
    return joined if _drop(engine, question, alone.result, joined.result, rule) >= -rule.max_drop else alone


def search_in_context(engine: SearchEngine, question: str, history: list[str] | None, top_k: int,
                      lang: str | None, rule: Rule = DEFAULT_RULE) -> tuple[SearchResult, np.ndarray]:
    """Search for `question` after the earlier questions `history` (oldest first).

    Returns the search result and the query vector used (for sentence scoring). Without history
    this is exactly `engine.search(question, top_k, lang)` with the question's own vector.
    """
    if not history:
        vec = engine.encode(question)
        return engine.search(question, top_k=top_k, lang=lang, qvec=vec), vec
    context = None
    for earlier in history[-MAX_HISTORY:]:
        context = read(engine, earlier, context, top_k, lang, rule)
    reading = read(engine, question, context, top_k, lang, rule)
    return replace(reading.result, hits=reading.result.hits[:top_k]), reading.vec


# ---- fitting and measuring the rule on a follow-up set ----

@dataclass(frozen=True)
class FollowUp:
    id: str
    lang: str
    history: tuple[str, ...]
    question: str
    gold: tuple[dict, ...]  # {"zh": snippet, "en": snippet}: exact text of the answering paragraph


def load_followups(path: Path) -> list[FollowUp]:
    """Read a JSON-lines follow-up set; a bad line is reported with its number."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = FollowUp(str(row["id"]), row["lang"], tuple(row["history"]), row["question"],
                            tuple(row["gold"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a follow-up item ({exc})") from exc
        if item.lang not in ("zh", "en") or not item.gold or len(item.history) > MAX_HISTORY:
            raise ValueError(f"{path}:{number}: needs lang zh|en, gold, at most {MAX_HISTORY} "
                             "earlier questions")
        items.append(item)
    return items


class _Memo:
    """The engine with encode, search and coverage remembered: a grid of rules costs little."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._vecs: dict[str, np.ndarray] = {}
        self._results: dict[tuple, SearchResult] = {}
        self._coverage: dict[tuple, float] = {}

    def __getattr__(self, name: str):  # everything else (store, calibration, …) from the engine
        return getattr(self.engine, name)

    def coverage(self, query: str, evidence: list[str]) -> float:
        key = (query, *evidence)
        if key not in self._coverage:
            self._coverage[key] = question_coverage(self.engine, query, evidence)
        return self._coverage[key]

    def encode(self, text: str) -> np.ndarray:
        if text not in self._vecs:
            self._vecs[text] = self.engine.encode(text)
        return self._vecs[text]

    def search(self, query: str, top_k: int, lang: str | None, qvec: np.ndarray) -> SearchResult:
        key = (query, top_k, lang, np.round(qvec, 6).tobytes())
        if key not in self._results:
            self._results[key] = self.engine.search(query, top_k=top_k, lang=lang, qvec=qvec)
        return self._results[key]


TOP_K = 5  # what /v1/ask searches by default


def _answers(result: SearchResult, item: FollowUp) -> bool:
    """The first citation contains the gold snippet of its own language."""
    if not result.hits:
        return False
    top = result.hits[0].passage
    return any(g.get(top.lang) and g[top.lang] in top.text for g in item.gold)


def _hits(engine, items: list[FollowUp], rule: Rule | None) -> list[bool]:
    """Per item: answered from the right paragraph, with the conversation (rule) or without (None)."""
    return [_answers(search_in_context(engine, it.question, list(it.history) if rule else None,
                                       TOP_K, it.lang, rule or DEFAULT_RULE)[0], it) for it in items]


def fit_rule(engine, items: list[FollowUp]) -> Rule:
    """The grid rule answering most items from the right paragraph.

    Ties are broken towards the widest run of equally good θ (its middle), for a margin.
    """
    memo = engine if isinstance(engine, _Memo) else _Memo(engine)
    best: tuple[int, int, Rule] | None = None
    for alpha in HISTORY_WEIGHTS:
        for weight in TERM_WEIGHTS:
            scores = [sum(_hits(memo, items, Rule(alpha, weight, theta))) for theta in MAX_DROPS]
            top = max(scores)
            run, best_run = 0, (0, 0)
            for i, score in enumerate(scores + [None]):
                if score == top:
                    run += 1
                    if run > best_run[0]:
                        best_run = (run, i - run + 1)
                else:
                    run = 0
            length, first = best_run
            theta = MAX_DROPS[first + (length - 1) // 2]
            candidate = (top, length, Rule(alpha, weight, theta))
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2]


def evaluate_followups(engine, items: list[FollowUp], folds: int = 5) -> dict:
    """Cross-validated hit@1 of the first citation, with the conversation vs without.

    Items are dealt to folds in turn (i mod folds); the rule is fitted on the other folds and
    measured on the held-out one. Also reports the shipped DEFAULT_RULE on all items.
    """
    memo = _Memo(engine)
    alone = _hits(memo, items, None)
    held_out: list[bool] = [False] * len(items)
    rules = []
    for fold in range(folds):
        train = [it for i, it in enumerate(items) if i % folds != fold]
        test_index = [i for i in range(len(items)) if i % folds == fold]
        rule = fit_rule(memo, train)
        rules.append(rule.__dict__)
        for i, hit in zip(test_index, _hits(memo, [items[i] for i in test_index], rule)):
            held_out[i] = hit
    shipped = _hits(memo, items, DEFAULT_RULE)
    quoted = _quotes(memo, items)
    n = len(items)
    return {
        "items": n,
        "folds": folds,
        "hit@1_without_history": round(sum(alone) / n, 4),
        "hit@1_with_history_held_out": round(sum(held_out) / n, 4),
        "hit@1_with_history_default_rule": round(sum(shipped) / n, 4),
        "by_language": {lang: {
            "items": sum(it.lang == lang for it in items),
            "hit@1_without_history": round(_share(alone, items, lang), 4),
            "hit@1_with_history_held_out": round(_share(held_out, items, lang), 4)}
            for lang in sorted({it.lang for it in items})},
        "fixed_by_history": [it.id for it, a, h in zip(items, alone, held_out) if h and not a],
        "broken_by_history": [it.id for it, a, h in zip(items, alone, held_out) if a and not h],
        "missed_held_out": [it.id for it, h in zip(items, held_out) if not h],
        "answer_quotes_gold_without_history": round(sum(a for a, _ in quoted) / n, 4),
        "answer_quotes_gold_with_history": round(sum(h for _, h in quoted) / n, 4),
        "fold_rules": rules,
        "rule_fitted_on_all": fit_rule(memo, items).__dict__,
        "default_rule": DEFAULT_RULE.__dict__,
    }


def _share(hits: list[bool], items: list[FollowUp], lang: str) -> float:
    mine = [hit for hit, it in zip(hits, items) if it.lang == lang]
    return sum(mine) / len(mine)


def _quotes(engine, items: list[FollowUp]) -> list[tuple[bool, bool]]:
    """Per item, without and with the conversation: /v1/ask quotes a sentence holding the gold."""
    from qa.answer.extract import ask  # extract calls this module: import at use

    def quoted(item: FollowUp, history: list[str] | None) -> bool:
        answer = ask(engine, item.question, history=history).answer
        return answer is not None and any(g.get(item.lang, "\0") in answer.text for g in item.gold)

    return [(quoted(it, None), quoted(it, list(it.history))) for it in items]
