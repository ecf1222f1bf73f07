"""POST /v1/ask: an extractive answer in the asker's language, with citations."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends

from qa.answer.extract import ask as ask_question
from qa.api.deps import get_service
from qa.api.routes.search import ERROR_RESPONSES, hit_out
from qa.api.schemas import AnswerSpan, AskRequest, AskResponse
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
def ask(body: AskRequest, service: Service = Depends(get_service)) -> AskResponse:
    """One or two sentences that answer the question, or `answerable: false` and the nearest passages."""
    started = time.perf_counter()
    result = ask_question(service.engine, body.question, body.lang, body.top_k, body.history)
    answer = result.answer
    return AskResponse(
        question=body.question,
        question_lang=result.question_lang,
        answer_lang=result.answer_lang,
        answerable=result.answerable,
        confidence=result.confidence,
        answer=AnswerSpan(text=answer.text, passage_id=answer.passage_id, start=answer.start,
                          end=answer.end) if answer else None,
        citations=[hit_out(i, h) for i, h in enumerate(result.citations, 1)],
        message=result.message,
        took_ms=round((time.perf_counter() - started) * 1e3, 2),
    )
