"""POST /v1/chat/completions: the OpenAI chat API over /v1/ask, so any OpenAI client (Open WebUI,
LibreChat, an SDK) can ask the documents.

The last user message is the question, the earlier user messages its history; the reply quotes
the documents with numbered marks and lists its sources, and the field `qa` carries the /v1/ask
response behind it (citations with translations, support, confidence)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request, Response
from sse_starlette import ServerSentEvent
from starlette.concurrency import run_in_threadpool

from qa.answer.extract import EVIDENCE_PASSAGES
from qa.api.asking import QaAnswer, ask_once, qa_answer
from qa.api.chat_reply import conversation, reply_text
from qa.api.deps import get_service
from qa.api.openai_errors import ERROR_RESPONSES, OpenAIError, OpenAIRoute, as_openai_error
from qa.api.openai_schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
)
from qa.api.policy import RoutePolicy, declare
from qa.api.routes.models import model_named
from qa.api.schemas import AskRequest
from qa.api.stream import EVENT_STREAM, SSE_EVENT_SCHEMA, event_stream
from qa.service import Service

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)

CHUNK_STREAM_RESPONSE = {
    "description": "With `stream: true`: `chat.completion.chunk` events, then `data: [DONE]`.",
    "content": {EVENT_STREAM: {"schema": SSE_EVENT_SCHEMA}},
}


class Completion:
    """The id, time and model one completion's chunks share."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def whole(self, answer: QaAnswer) -> ChatCompletion:
        return ChatCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            qa=answer,
            choices=[Choice(message=AssistantMessage(content=reply_text(answer)))],
        )

    def chunk(self, delta: Delta, finished: bool = False, answer: QaAnswer | None = None) -> ServerSentEvent:
        body = ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            qa=answer,
            choices=[ChunkChoice(delta=delta, finish_reason="stop" if finished else None)],
        )
        return ServerSentEvent(body.model_dump_json(exclude_none=True), sep="\n")


async def chunk_events(service: Service, ask: AskRequest, completion: Completion) -> AsyncIterator[ServerSentEvent]:
    """The role at once, the reply paragraph by paragraph, the `qa` field last, then [DONE]."""
    yield completion.chunk(Delta(role="assistant", content=""))
    try:
        answer = qa_answer(await run_in_threadpool(ask_once, service, ask))
    except Exception as exc:  # the stream has started: OpenAI clients read an `error` chunk
        error = as_openai_error(exc)
        if error is None:
            log.exception("unhandled error while streaming a chat completion")
            error = OpenAIError(500, "the server failed to answer; it has been logged", "internal_error")
        yield ServerSentEvent(json.dumps(error.body(), ensure_ascii=False), sep="\n")
        return
    paragraphs = reply_text(answer).split("\n\n")
    for number, paragraph in enumerate(paragraphs):
        yield completion.chunk(Delta(content=paragraph if number == 0 else "\n\n" + paragraph))
    yield completion.chunk(Delta(), finished=True, answer=answer)
    yield ServerSentEvent("[DONE]", sep="\n")


@router.post(
    "/chat/completions", response_model=ChatCompletion, responses={**ERROR_RESPONSES, 200: CHUNK_STREAM_RESPONSE}
)
@declare(RoutePolicy(scope="ask", cost_fields=("messages",)))
def chat_completions(
    body: ChatCompletionRequest, request: Request, service: Service = Depends(get_service)
) -> ChatCompletion | Response:
    """An OpenAI chat completion that answers the last user message from the documents."""
    completion = Completion(model_named(service, body.model).id)
    question, history = conversation(body.messages)
    # The answer's sentence comes from the first EVIDENCE_PASSAGES passages: citing exactly those
    # keeps the sources list short and always holding the quoted one.
    ask = AskRequest(question=question, history=history or None, top_k=EVIDENCE_PASSAGES)
    if body.stream:
        heartbeat = request.app.state.settings.stream_heartbeat_seconds
        return event_stream(chunk_events(service, ask, completion), heartbeat)
    return completion.whole(qa_answer(ask_once(service, ask)))
