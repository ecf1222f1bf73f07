"""One way from an ask request to its response, shared by /v1/ask (JSON and streamed), the
OpenAI-compatible chat route, the MCP `ask` tool and `qa ask`, so they never disagree."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field

from qa.answer.extract import ask as ask_question
from qa.api.present import ask_response
from qa.api.schemas import AnswerSpan, AskRequest, AskResponse
from qa.service import Service

Support = Literal["stated", "related", "none"]


class QaAnswer(AskResponse):
    """The /v1/ask response with `support` and `closest` always present (chat and MCP read them);
    a chat reply's mark [n] is the citation of rank n."""

    support: Support = Field(
        description="stated: the quote gives what was asked; related: the documents speak of the "
        "subject but do not state it; none: not covered."
    )
    closest: AnswerSpan | None = None


def ask_once(service: Service, body: AskRequest) -> AskResponse:
    """Answer `body` against the loaded index, exactly as `POST /v1/ask` does."""
    started = time.perf_counter()
    result = ask_question(service.engine, body.question, body.lang, body.top_k, body.history)
    return ask_response(body.question, result, (time.perf_counter() - started) * 1e3)


def support_of(response: AskResponse) -> Support:
    """How far the documents cover the question: the response's `support` when it has one, else
    what `answerable` implies (stated or none; `related` needs the answer layer to say so)."""
    support = getattr(response, "support", None)
    if support in ("stated", "related", "none"):
        return support
    return "stated" if response.answerable else "none"


def closest_of(response: AskResponse) -> AnswerSpan | None:
    """The nearest quote of a `related` answer (the response's `closest`, when it has one)."""
    return getattr(response, "closest", None)


def quote_text(span: AnswerSpan) -> str:
    """The quote in the asker's Chinese script when the response converted it, else verbatim."""
    return getattr(span, "text_converted", None) or span.text


def qa_answer(response: AskResponse) -> QaAnswer:
    """The response with its `support` and `closest` always present (for chat and MCP)."""
    extra = {"support": support_of(response), "closest": closest_of(response)}
    return QaAnswer.model_validate(response.model_dump() | extra)
