"""GET /v1/admin/analytics/{summary,questions,gaps} and POST …/purge (admin key)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from qa.analytics.reports import QuestionFilter, gaps, questions, summary, to_csv
from qa.analytics.service import Analytics
from qa.api.analytics import get_analytics
from qa.api.deps import get_service
from qa.api.policy import RoutePolicy, declare
from qa.api.present import nearest_passage
from qa.api.schemas import ErrorBody
from qa.service import Service

router = APIRouter(prefix="/v1/admin/analytics", tags=["analytics"])
ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 422, 503)}
ADMIN = RoutePolicy(scope="admin")
Days = Annotated[int, Query(ge=1, le=3650, description="How many days back to look.")]
Lang = Literal["zh", "en"]
Support = Literal["stated", "related", "none"]


@router.get("/summary", responses=ERRORS)
@declare(ADMIN)
def get_summary(days: Days = 30, collection: str | None = None, analytics: Analytics = Depends(get_analytics)) -> dict:
    """Asks by support (stated / related / none) and ratings, per day, collection and language."""
    with analytics.state.session() as session:
        return summary(session, days, collection)


@router.get("/questions", responses={**ERRORS, 200: {"content": {"text/csv": {}}}})
@declare(ADMIN)
def get_questions(
    days: Days = 30,
    collection: str | None = None,
    lang: Lang | None = None,
    support: Support | None = None,
    rating: Literal["up", "down"] | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Literal["json", "csv"] = "json",
    analytics: Analytics = Depends(get_analytics),
):
    """The logged questions, newest first, with their ratings; `format=csv` for a spreadsheet."""
    wanted = QuestionFilter(days, collection, lang, support, rating, limit, offset)
    with analytics.state.session() as session:
        total, items = questions(session, wanted)
    if format == "csv":
        return PlainTextResponse(
            to_csv(items),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="questions.csv"'},
        )
    return {"total": total, "items": items}


@router.get("/gaps", responses=ERRORS)
@declare(ADMIN)
def get_gaps(
    days: Days = 30,
    collection: str | None = None,
    sort: Literal["size", "newest"] = "size",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    analytics: Analytics = Depends(get_analytics),
    service: Service = Depends(get_service),
) -> dict:
    """What the documents are missing: unanswered questions grouped by topic, both languages."""

    def nearest(passage_id: str) -> dict | None:
        return nearest_passage(service.store, passage_id)

    with analytics.state.session() as session:
        groups = gaps(
            session,
            analytics.question_vectors,
            analytics.grouping.min_similarity,
            nearest,
            days,
            collection,
            sort,
            limit,
        )
    return {"groups": groups}


@router.post("/purge", responses=ERRORS)
@declare(ADMIN)
def purge(analytics: Analytics = Depends(get_analytics)) -> dict:
    """Delete question-log records and ratings older than QA_ANALYTICS_RETENTION_DAYS now."""
    asks, ratings = analytics.purge()
    return {"deleted": {"asks": asks, "ratings": ratings}}
