"""POST /v1/ask: an extractive answer in the asker's language, with citations."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from qa.answer.extract import ask as ask_question
from qa.api.policy import RoutePolicy, declare
from qa.api.deps import charge_key_tokens, collection_service, refuse_filter
from qa.api.present import ask_response
from qa.api.routes.search import ERROR_RESPONSES
from qa.api.schemas import AskRequest, AskResponse

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
@declare(RoutePolicy(scope="ask", cost_fields=("question", "history")))
def ask(body: AskRequest, request: Request) -> AskResponse:
    """One or two sentences that answer the question, or `answerable: false` and the nearest passages."""
    started = time.perf_counter()
    refuse_filter(body.filter)
    service = collection_service(request, body.collection)
    charge_key_tokens(request, service, [body.question, *(body.history or [])])
    result = ask_question(service.engine, body.question, body.lang, body.top_k, body.history)
    return ask_response(body.question, result, (time.perf_counter() - started) * 1e3)
