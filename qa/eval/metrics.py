"""Retrieval and abstention metrics, as pure functions over ranked (text, lang) results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A gold answer: the same fact as a snippet in each language, e.g. {"zh": "80.2%", "en": "80.2 percent"}.
Gold = dict[str, str]


@dataclass(frozen=True)
class Ranked:
    """One result as the metrics see it: its text and the language that text is in."""

    text: str
    lang: str


def is_hit(result: Ranked, gold: Sequence[Gold]) -> bool:
    """A result answers when it contains the gold snippet of its own language."""
    return any(g.get(result.lang) and g[result.lang] in result.text for g in gold)


def first_hit_rank(results: Sequence[Ranked], gold: Sequence[Gold], k: int = 10) -> int | None:
    """1-based rank of the first result that answers, within the top k; None if none does."""
    for rank, result in enumerate(results[:k], 1):
        if is_hit(result, gold):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions answered within the top k."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float:
    """Mean reciprocal rank, counting a rank beyond k (or no hit) as 0."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def ranking_summary(ranks: Sequence[int | None]) -> dict:
    return {
        "questions": len(ranks),
        "hit@1": round(hit_at(ranks, 1), 4),
        "hit@5": round(hit_at(ranks, 5), 4),
        "mrr@10": round(mrr_at(ranks, 10), 4),
    }


def abstention_summary(flagged: Sequence[bool], unanswerable: Sequence[bool]) -> dict:
    """Precision/recall of "the corpus has no answer" flags; positives are unanswerable items.

    precision = flagged items that are really unanswerable / all flagged items;
    recall = unanswerable items flagged / all unanswerable items.
    """
    if len(flagged) != len(unanswerable):
        raise ValueError("flagged and unanswerable must have the same length")
    true_pos = sum(1 for f, u in zip(flagged, unanswerable) if f and u)
    false_pos = sum(1 for f, u in zip(flagged, unanswerable) if f and not u)
    positives = sum(unanswerable)
    flagged_count = true_pos + false_pos
    return {
        "unanswerable": positives,
        "answerable": len(flagged) - positives,
        "flagged_unanswerable": true_pos,
        "flagged_answerable": false_pos,
        "precision": round(true_pos / flagged_count, 4) if flagged_count else None,
        "recall": round(true_pos / positives, 4) if positives else None,
    }
