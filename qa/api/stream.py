"""`POST /v1/ask` as Server-Sent Events, for a client that sends `Accept: text/event-stream`.

Events, in order (docs/API.md "Streaming"): `passages` (the ranked passages, as soon as the
search has them), `answer` (the whole /v1/ask response), `done`; or `error` instead of what
is left. Comment lines (`: heartbeat`) keep idle proxies from closing a slow stream.

The search runs once: the engine given to the answer step remembers the query vectors and the
search results the `passages` step computed, so the answer reuses them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import numpy as np
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from qa.answer.extract import EVIDENCE_PASSAGES
from qa.answer.followup import search_in_context
from qa.api.asking import ask_once
from qa.api.errors import ApiError
from qa.api.present import hit_out
from qa.api.schemas import AskRequest, AskResponse
from qa.embed.batching import QueueFull, retry_after_seconds
from qa.search.engine import SearchEngine, SearchResult
from qa.service import Service
from qa.store.base import StoreUnavailable
from qa.text import detect_lang

log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
# One server-sent event as clients parse it (OpenAPI 3.0/3.1 tools read `schema` as the
# per-event schema); what each event's `data` holds is described in docs/API.md.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string", "description": "JSON text"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}
# What the OpenAPI schema says of a streamed 200.
STREAM_RESPONSE = {
    "description": "With `Accept: text/event-stream`: events `passages`, `answer`, `done` (or "
    '`error`), and `: heartbeat` comment lines (docs/API.md "Streaming").',
    "content": {EVENT_STREAM: {"schema": SSE_EVENT_SCHEMA}},
}


def wants_events(request: Request) -> bool:
    return EVENT_STREAM in request.headers.get("accept", "").lower()


class RememberingEngine:
    """The engine, with the query vectors and search results of this one request remembered."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._vectors: dict[str, np.ndarray] = {}
        self._results: dict[tuple, SearchResult] = {}

    def __getattr__(self, name: str):  # store, calibration, … straight from the engine
        return getattr(self.engine, name)

    def encode(self, text: str) -> np.ndarray:
        if text not in self._vectors:
            self._vectors[text] = self.engine.encode(text)
        return self._vectors[text]

    def search(
        self, query: str, top_k: int = 5, lang: str | None = None, qvec: np.ndarray | None = None
    ) -> SearchResult:
        key = (query, top_k, lang, None if qvec is None else qvec.tobytes())
        if key not in self._results:
            self._results[key] = self.engine.search(query, top_k=top_k, lang=lang, qvec=qvec)
        return self._results[key]


def ranked_passages(engine: RememberingEngine, body: AskRequest) -> list[dict]:
    """The passages the answer will cite, found the way qa.answer.extract.ask searches."""
    answer_lang = body.lang or detect_lang(body.question)
    result, _ = search_in_context(engine, body.question, body.history, max(body.top_k, EVIDENCE_PASSAGES), answer_lang)
    return [hit_out(rank, hit).model_dump(mode="json") for rank, hit in enumerate(result.hits[: body.top_k], 1)]


def error_of(exc: Exception) -> dict:
    """The `error` event's body: the same code and message the JSON route would answer with."""
    if isinstance(exc, ApiError):
        code, message = exc.code, exc.message
    elif isinstance(exc, QueueFull):
        code, message = "overloaded", (f"the server is busy with other queries; retry in {retry_after_seconds(exc)} s")
    elif isinstance(exc, StoreUnavailable):
        code, message = "store_unavailable", str(exc)
    else:
        log.exception("unhandled error while streaming /v1/ask")
        code, message = "internal_error", "the server failed to answer; it has been logged"
    return {"error": {"code": code, "message": message}}


def _event(name: str, data: dict) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(data, ensure_ascii=False), event=name, sep="\n")


Remember = Callable[[AskResponse], AskResponse]


def _as_is(response: AskResponse) -> AskResponse:
    return response


async def ask_events(service: Service, body: AskRequest, remember: Remember = _as_is) -> AsyncIterator[ServerSentEvent]:
    """`remember` gives the answer its id and logs it, as on the JSON path (qa.api.analytics)."""
    started = time.perf_counter()
    engine = RememberingEngine(service.engine)
    try:
        passages = await run_in_threadpool(ranked_passages, engine, body)
        yield _event("passages", {"passages": passages})
        response = remember(await run_in_threadpool(ask_once, replace(service, engine=engine), body))
        yield _event("answer", response.model_dump(mode="json"))
    except Exception as exc:  # the stream has started: the failure travels as an event
        yield _event("error", error_of(exc))
        return
    yield _event("done", {"took_ms": round((time.perf_counter() - started) * 1e3, 2)})


def heartbeat() -> ServerSentEvent:
    return ServerSentEvent(comment="heartbeat", sep="\n")


def event_stream(
    events: AsyncIterator[ServerSentEvent], heartbeat_seconds: float, ping: Callable[[], ServerSentEvent] = heartbeat
) -> EventSourceResponse:
    """A text/event-stream response of `events`, with a heartbeat after each idle interval."""
    return EventSourceResponse(events, ping=heartbeat_seconds, ping_message_factory=ping, sep="\n")


def ask_event_stream(
    service: Service, body: AskRequest, heartbeat_seconds: float, remember: Remember = _as_is
) -> EventSourceResponse:
    return event_stream(ask_events(service, body, remember), heartbeat_seconds)
