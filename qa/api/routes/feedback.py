"""POST /v1/feedback: a visitor's 👍 / 👎 on an answer (one rating per visitor per answer)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from qa.analytics.service import Analytics
from qa.api.analytics import client_of, get_analytics
from qa.api.errors import ApiError
from qa.api.policy import RoutePolicy, declare
from qa.api.schemas import ErrorBody, FeedbackAccepted, FeedbackRequest

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackAccepted,
    responses={code: {"model": ErrorBody} for code in (401, 404, 422, 429, 503)},
)
@declare(RoutePolicy(scope="ask"))
def give_feedback(
    body: FeedbackRequest, request: Request, response: Response, analytics: Analytics = Depends(get_analytics)
) -> FeedbackAccepted:
    """Rate an answer by its `answer_id`; a second rating from the same visitor replaces the first
    (200 instead of 201)."""
    if not analytics.answer_known(body.answer_id):
        raise ApiError(
            404,
            "answer_not_found",
            "no answer with this id: it was not given by this "
            "service or is older than the feedback period (QA_ANALYTICS_RETENTION_DAYS)",
        )
    reason = body.reason if body.rating == "down" else None
    created = analytics.rate(body.answer_id, client_of(request), body.rating, reason, body.comment)
    if not created:
        response.status_code = 200
    return FeedbackAccepted(answer_id=body.answer_id, rating=body.rating, replaced=not created)
