"""POST /v1/search."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from qa.api.policy import RoutePolicy, declare
from qa.api.analytics import remember_search
from qa.api.deps import get_service
from qa.api.metrics import observe_search
from qa.api.present import search_response
from qa.api.schemas import ErrorBody, SearchRequest, SearchResponse
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["search"])

ERROR_RESPONSES = {code: {"model": ErrorBody} for code in (401, 413, 422, 429, 503)}


@router.post("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
@declare(RoutePolicy(scope="search", cost_fields=("query",)))
def search(body: SearchRequest, request: Request, service: Service = Depends(get_service)) -> SearchResponse:
    """Best-matching passages in either language (or only `lang`), each with its translation."""
    started = time.perf_counter()
    result = service.engine.search(body.query, body.top_k, body.lang)
    observe_search(result.timings_ms)
    return remember_search(request, search_response(body.query, result, (time.perf_counter() - started) * 1e3))
