"""POST /v1/ask: an extractive answer in the asker's language, with citations."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from qa.answer.extract import ask as ask_question
from qa.api.policy import RoutePolicy, declare
from qa.api.analytics import remember_ask
from qa.api.deps import get_service
from qa.api.present import ask_response
from qa.api.routes.search import ERROR_RESPONSES
from qa.api.schemas import AskRequest, AskResponse
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
@declare(RoutePolicy(scope="ask", cost_fields=("question", "history")))
def ask(body: AskRequest, request: Request, service: Service = Depends(get_service)) -> AskResponse:
    """One or two sentences that answer the question, or `answerable: false` and the nearest passages."""
    started = time.perf_counter()
    result = ask_question(service.engine, body.question, body.lang, body.top_k, body.history)
    return remember_ask(request, ask_response(body.question, result, (time.perf_counter() - started) * 1e3))
