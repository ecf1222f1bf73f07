"""The question log read back: a summary, a filtered question list (JSON or CSV), content gaps.

Content gaps are the questions the documents did not answer (support `related` or `none`),
grouped by what they are about. Two questions are about the same thing when retrieval led them
to the same fact: the top passage they cited, or its translation. Cross-lingual retrieval
already scores a passage and its translation alike, so a Chinese and an English question about
one missing fact fall in one group, with no threshold to tune and no second model to load.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa.state.analytics import AskRecord, Feedback

SUPPORTS = ("stated", "related", "none")
RATINGS = ("up", "down")
GAP_SUPPORTS = ("related", "none")
EXAMPLES_PER_GAP = 5
CSV_COLUMNS = ("answer_id", "at", "collection", "question", "lang", "script", "support", "confidence",
               "cited", "latency_ms", "up", "down", "reasons")


@dataclass
class QuestionFilter:
    days: int = 30
    collection: str | None = None
    lang: str | None = None
    support: str | None = None
    rating: str | None = None
    limit: int = 100
    offset: int = 0


def _since(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def _empty_counts() -> dict[str, int]:
    return {"asks": 0, **{s: 0 for s in SUPPORTS}, **{r: 0 for r in RATINGS}}


def _ratings(session: Session, since: datetime) -> dict[str, list[Feedback]]:
    by_answer: dict[str, list[Feedback]] = defaultdict(list)
    for row in session.scalars(select(Feedback).where(Feedback.at >= since)):
        by_answer[row.answer_id].append(row)
    return by_answer


def summary(session: Session, days: int = 30, collection: str | None = None) -> dict:
    """Totals, per day, per collection and per language, and the median latency, over `days`."""
    since = _since(days)
    query = select(AskRecord).where(AskRecord.at >= since, AskRecord.kind == "ask")
    if collection:
        query = query.where(AskRecord.collection == collection)
    asks = list(session.scalars(query))
    ratings = _ratings(session, since)
    totals = _empty_counts()
    per_day: dict[str, dict[str, int]] = defaultdict(_empty_counts)
    per_collection: dict[str, dict[str, int]] = defaultdict(_empty_counts)
    per_lang: dict[str, dict[str, int]] = defaultdict(_empty_counts)
    for ask in asks:
        buckets = (totals, per_day[ask.at.strftime("%Y-%m-%d")], per_collection[ask.collection],
                   per_lang[ask.lang])
        for bucket in buckets:
            bucket["asks"] += 1
            bucket[ask.support] += 1
            for rating in ratings.get(ask.answer_id, []):
                bucket[rating.rating] += 1
    return {
        "days_covered": days,
        "totals": totals,
        "days": [{"day": day, **counts} for day, counts in sorted(per_day.items())],
        "collections": dict(sorted(per_collection.items())),
        "languages": dict(sorted(per_lang.items())),
        "latency_p50_ms": round(statistics.median(a.latency_ms for a in asks), 2) if asks else None,
    }


def questions(session: Session, wanted: QuestionFilter) -> tuple[int, list[dict]]:
    """(how many match, the page asked for), newest first, each with its ratings."""
    since = _since(wanted.days)
    query = select(AskRecord).where(AskRecord.at >= since).order_by(AskRecord.at.desc(), AskRecord.id.desc())
    for column, value in ((AskRecord.collection, wanted.collection), (AskRecord.lang, wanted.lang),
                          (AskRecord.support, wanted.support)):
        if value:
            query = query.where(column == value)
    ratings = _ratings(session, since)
    items = []
    for ask in session.scalars(query):
        rated = ratings.get(ask.answer_id, [])
        counts = Counter(r.rating for r in rated)
        if wanted.rating and not counts[wanted.rating]:
            continue
        items.append({
            "answer_id": ask.answer_id, "at": ask.at.isoformat(), "collection": ask.collection,
            "question": ask.question, "lang": ask.lang, "script": ask.script, "support": ask.support,
            "confidence": ask.confidence, "cited": list(ask.cited), "latency_ms": ask.latency_ms,
            "up": counts["up"], "down": counts["down"],
            "reasons": sorted({r.reason for r in rated if r.reason}),
            "comments": [r.comment for r in rated if r.comment],
        })
    return len(items), items[wanted.offset:wanted.offset + wanted.limit]


def to_csv(items: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({**item, "cited": " ".join(item["cited"]), "reasons": " ".join(item["reasons"])})
    return out.getvalue()


@dataclass
class Gap:
    fact: str
    questions: list[AskRecord] = field(default_factory=list)

    def as_dict(self, nearest: Callable[[str], dict | None]) -> dict:
        newest = sorted(self.questions, key=lambda a: a.at, reverse=True)
        return {
            "size": len(self.questions),
            "languages": sorted({a.lang for a in self.questions}),
            "supports": dict(Counter(a.support for a in self.questions)),
            "last_asked": newest[0].at.isoformat(),
            "examples": [{"question": a.question, "lang": a.lang, "support": a.support,
                          "at": a.at.isoformat()} for a in newest[:EXAMPLES_PER_GAP]],
            "nearest_passage": nearest(newest[0].cited[0]) if newest[0].cited else None,
        }


def gaps(session: Session, fact_of: Callable[[str], str], nearest: Callable[[str], dict | None],
         days: int = 30, collection: str | None = None, sort: str = "size", limit: int = 50) -> list[dict]:
    """Unanswered questions grouped by the fact retrieval led them to (see the module doc);
    `fact_of` names a passage's fact (the same for a passage and its translation)."""
    query = select(AskRecord).where(AskRecord.at >= _since(days), AskRecord.kind == "ask",
                                    AskRecord.support.in_(GAP_SUPPORTS))
    if collection:
        query = query.where(AskRecord.collection == collection)
    groups: dict[str, Gap] = {}
    for ask in session.scalars(query):
        fact = fact_of(ask.cited[0]) if ask.cited else f"uncited:{ask.question}"
        groups.setdefault(fact, Gap(fact)).questions.append(ask)
    if sort == "newest":
        ordered = sorted(groups.values(), key=lambda g: max(a.at for a in g.questions), reverse=True)
    else:
        ordered = sorted(groups.values(), key=lambda g: (len(g.questions), max(a.at for a in g.questions)),
                         reverse=True)
    return [gap.as_dict(nearest) for gap in ordered[:limit]]
