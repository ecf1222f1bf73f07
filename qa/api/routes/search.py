"""POST /v1/search."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from qa.api.analytics import remember_search
from qa.api.deps import charge_key_tokens, searched_service
from qa.api.metrics import observe_search
from qa.api.policy import RoutePolicy, declare
from qa.api.present import search_response
from qa.api.schemas import ErrorBody, SearchRequest, SearchResponse

router = APIRouter(prefix="/v1", tags=["search"])

ERROR_RESPONSES = {code: {"model": ErrorBody} for code in (401, 403, 404, 413, 422, 429, 503)}


@router.post("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
@declare(RoutePolicy(scope="search", cost_fields=("query",)))
def search(body: SearchRequest, request: Request) -> SearchResponse:
    """Best-matching passages in either language (or only `lang`), each with its translation."""
    started = time.perf_counter()
    service = searched_service(request, body.collection, body.filter)
    charge_key_tokens(request, service, [body.query])
    result = service.engine.search(body.query, body.top_k, body.lang)
    observe_search(result.timings_ms)
    response = search_response(body.query, result, (time.perf_counter() - started) * 1e3)
    return remember_search(request, response, body.collection or "default")
