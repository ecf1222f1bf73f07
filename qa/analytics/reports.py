"""The question log read back: a summary, a filtered question list (JSON or CSV), content gaps.

Content gaps are the questions the documents did not answer (support `related` or `none`),
grouped by meaning across languages (qa.analytics.grouping).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qa.analytics.grouping import cluster
from qa.state.analytics import AskRecord, Feedback

SUPPORTS = ("stated", "related", "none")
RATINGS = ("up", "down")
GAP_SUPPORTS = ("related", "none")
EXAMPLES_PER_GAP = 5
CSV_COLUMNS = (
    "answer_id",
    "at",
    "collection",
    "question",
    "lang",
    "script",
    "support",
    "confidence",
    "cited",
    "latency_ms",
    "up",
    "down",
    "reasons",
)


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
    return datetime.now(UTC) - timedelta(days=days)


def _empty_counts() -> dict[str, int]:
    return {"asks": 0, **{s: 0 for s in SUPPORTS}, **{r: 0 for r in RATINGS}}


def _ratings(session: Session, since: datetime) -> dict[str, list[Feedback]]:
    by_answer: dict[str, list[Feedback]] = defaultdict(list)
    for row in session.scalars(select(Feedback).where(Feedback.at >= since)):
        by_answer[row.answer_id].append(row)
    return by_answer


def summary(session: Session, days: int = 30, collection: str | None = None) -> dict[str, Any]:
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
        buckets = (totals, per_day[ask.at.strftime("%Y-%m-%d")], per_collection[ask.collection], per_lang[ask.lang])
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


def questions(session: Session, wanted: QuestionFilter) -> tuple[int, list[dict[str, Any]]]:
    """(how many match, the page asked for), newest first, each with its ratings."""
    since = _since(wanted.days)
    query = select(AskRecord).where(AskRecord.at >= since).order_by(AskRecord.at.desc(), AskRecord.id.desc())
    for column, value in (
        (AskRecord.collection, wanted.collection),
        (AskRecord.lang, wanted.lang),
        (AskRecord.support, wanted.support),
    ):
        if value:
            query = query.where(column == value)
    ratings = _ratings(session, since)
    items = []
    for ask in session.scalars(query):
        rated = ratings.get(ask.answer_id, [])
        counts = Counter(r.rating for r in rated)
        if wanted.rating and not counts[wanted.rating]:
            continue
        items.append(
            {
                "answer_id": ask.answer_id,
                "at": ask.at.isoformat(),
                "collection": ask.collection,
                "question": ask.question,
                "lang": ask.lang,
                "script": ask.script,
                "support": ask.support,
                "confidence": ask.confidence,
                "cited": list(ask.cited),
                "latency_ms": ask.latency_ms,
                "up": counts["up"],
                "down": counts["down"],
                "reasons": sorted({r.reason for r in rated if r.reason}),
                "comments": [r.comment for r in rated if r.comment],
            }
        )
    return len(items), items[wanted.offset : wanted.offset + wanted.limit]


def to_csv(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({**item, "cited": " ".join(item["cited"]), "reasons": " ".join(item["reasons"])})
    return out.getvalue()


def gaps(
    session: Session,
    vectors: Callable[[list[str]], np.ndarray],
    min_similarity: float,
    nearest: Callable[[str], dict[str, Any] | None],
    days: int = 30,
    collection: str | None = None,
    sort: str = "size",
    limit: int = 50,
    most_questions: int = 2000,
) -> list[dict[str, Any]]:
    """The newest `most_questions` unanswered questions grouped by meaning (qa.analytics.grouping),
    largest (or newest) groups first, each with its languages, examples and nearest passage."""
    query = (
        select(AskRecord)
        .where(AskRecord.at >= _since(days), AskRecord.kind == "ask", AskRecord.support.in_(GAP_SUPPORTS))
        .order_by(AskRecord.at.desc())
        .limit(most_questions)
    )
    if collection:
        query = query.where(AskRecord.collection == collection)
    asks = list(session.scalars(query))
    if not asks:
        return []
    labels = cluster(vectors([a.question for a in asks]), min_similarity)
    groups: dict[int, list[AskRecord]] = defaultdict(list)
    for ask, label in zip(asks, labels):
        groups[label].append(ask)  # newest first, as `asks` is
    ordered = sorted(groups.values(), key=lambda g: g[0].at if sort == "newest" else (len(g), g[0].at), reverse=True)
    return [
        {
            "size": len(group),
            "languages": sorted({a.lang for a in group}),
            "supports": dict(Counter(a.support for a in group)),
            "last_asked": group[0].at.isoformat(),
            "examples": [
                {"question": a.question, "lang": a.lang, "support": a.support, "at": a.at.isoformat()}
                for a in group[:EXAMPLES_PER_GAP]
            ],
            "nearest_passage": nearest(group[0].cited[0]) if group[0].cited else None,
        }
        for group in ordered[:limit]
    ]
