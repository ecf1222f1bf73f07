"""POST /v1/search."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends

from qa.api.deps import get_service
from qa.api.metrics import observe_search
from qa.api.schemas import ErrorBody, SearchHit, SearchRequest, SearchResponse
from qa.search.engine import Hit
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["search"])

ERROR_RESPONSES = {code: {"model": ErrorBody} for code in (401, 413, 422, 429, 503)}


def hit_out(rank: int, hit: Hit) -> SearchHit:
    return SearchHit(rank=rank, score=hit.score, **hit.passage.model_dump())


@router.post("/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
def search(body: SearchRequest, service: Service = Depends(get_service)) -> SearchResponse:
    """Best-matching passages in either language (or only `lang`), each with its translation."""
    started = time.perf_counter()
    result = service.engine.search(body.query, body.top_k, body.lang)
    observe_search(result.timings_ms)
    return SearchResponse(
        query=body.query,
        query_lang=result.query_lang,
        took_ms=round((time.perf_counter() - started) * 1e3, 2),
        results=[hit_out(i, h) for i, h in enumerate(result.hits, 1)],
        confident=result.confident,
        confidence=result.confidence,
    )
