"""Fitting and measuring the follow-up rule (qa.answer.followup) on a follow-up set.

The rule's three numbers (α, λ, θ) are searched on a grid for the most follow-ups answered from
the right paragraph; `evaluate_followups` measures it on held-out folds, and `qa eval --fit`
writes the rule fitted on all items into calibration.json (`followup`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.extract import ask
from qa.answer.followup import MAX_HISTORY, Rule, fitted_rule, search_in_context
from qa.search.engine import SearchResult

# The grid fit_rule searches.
HISTORY_WEIGHTS = (0.25, 0.5, 0.75, 1.0)
TERM_WEIGHTS = (0.0, 0.025, 0.05, 0.1)
MAX_DROPS = tuple(round(0.005 * i, 3) for i in range(21))  # 0 … 0.1


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
            item = FollowUp(str(row["id"]), row["lang"], tuple(row["history"]), row["question"], tuple(row["gold"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a follow-up item ({exc})") from exc
        if item.lang not in ("zh", "en") or not item.gold or len(item.history) > MAX_HISTORY:
            raise ValueError(f"{path}:{number}: needs lang zh|en, gold, at most {MAX_HISTORY} earlier questions")
        items.append(item)
    return items


class MemoEngine:
    """The engine with encode and search remembered: a grid of rules costs little."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._vecs: dict[str, np.ndarray] = {}
        self._results: dict[tuple, SearchResult] = {}

    def __getattr__(self, name: str):  # everything else (store, calibration, …) from the engine
        return getattr(self.engine, name)

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
    return [
        _answers(
            search_in_context(engine, it.question, list(it.history) if rule else None, TOP_K, it.lang, rule)[0], it
        )
        for it in items
    ]


def fit_rule(engine, items: list[FollowUp]) -> Rule:
    """The grid rule answering most items from the right paragraph.

    Ties are broken towards the widest run of equally good θ (its middle), for a margin.
    """
    memo = engine if isinstance(engine, MemoEngine) else MemoEngine(engine)
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
    measured on the held-out one. Also reports the shipped rule (calibration.json) on all items.
    """
    memo = MemoEngine(engine)
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
    shipped = _hits(memo, items, fitted_rule(engine))
    quoted = _quotes(memo, items)
    n = len(items)
    return {
        "items": n,
        "folds": folds,
        "hit@1_without_history": round(sum(alone) / n, 4),
        "hit@1_with_history_held_out": round(sum(held_out) / n, 4),
        "hit@1_with_history_shipped_rule": round(sum(shipped) / n, 4),
        "by_language": {
            lang: {
                "items": sum(it.lang == lang for it in items),
                "hit@1_without_history": round(_share(alone, items, lang), 4),
                "hit@1_with_history_held_out": round(_share(held_out, items, lang), 4),
            }
            for lang in sorted({it.lang for it in items})
        },
        "fixed_by_history": [it.id for it, a, h in zip(items, alone, held_out) if h and not a],
        "broken_by_history": [it.id for it, a, h in zip(items, alone, held_out) if a and not h],
        "missed_held_out": [it.id for it, h in zip(items, held_out) if not h],
        "answer_quotes_gold_without_history": round(sum(a for a, _ in quoted) / n, 4),
        "answer_quotes_gold_with_history": round(sum(h for _, h in quoted) / n, 4),
        "fold_rules": rules,
        "rule_fitted_on_all": fit_rule(memo, items).__dict__,
        "shipped_rule": fitted_rule(engine).__dict__,
    }


def _share(hits: list[bool], items: list[FollowUp], lang: str) -> float:
    mine = [hit for hit, it in zip(hits, items) if it.lang == lang]
    return sum(mine) / len(mine)


def _quotes(engine, items: list[FollowUp]) -> list[tuple[bool, bool]]:
    """Per item, without and with the conversation: /v1/ask quotes a sentence holding the gold."""

    def quoted(item: FollowUp, history: list[str] | None) -> bool:
        answer = ask(engine, item.question, history=history).answer
        return answer is not None and any(g.get(item.lang, "\0") in answer.text for g in item.gold)

    return [(quoted(it, None), quoted(it, list(it.history))) for it in items]
