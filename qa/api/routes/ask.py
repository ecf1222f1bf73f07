"""POST /v1/ask: an extractive answer in the asker's language, with citations."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from qa.api.analytics import remember_ask
from qa.api.asking import ask_once
from qa.api.deps import charge_key_tokens, searched_service
from qa.api.policy import RoutePolicy, declare
from qa.api.routes.search import ERROR_RESPONSES
from qa.api.schemas import AskRequest, AskResponse
from qa.api.stream import STREAM_RESPONSE, ask_event_stream, wants_events

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse, responses={**ERROR_RESPONSES, 200: STREAM_RESPONSE})
@declare(RoutePolicy(scope="ask", cost_fields=("question", "history")))
def ask(body: AskRequest, request: Request) -> AskResponse | Response:
    """One or two sentences that answer the question, or `answerable: false` and the nearest passages.

    With `Accept: text/event-stream`: the events `passages`, `answer`, `done` (docs/API.md)."""
    service = searched_service(request, body.collection, body.filter)
    charge_key_tokens(request, service, [body.question, *(body.history or [])])
    collection = body.collection or "default"
    if wants_events(request):
        return ask_event_stream(
            service,
            body,
            request.app.state.settings.stream_heartbeat_seconds,
            remember=lambda response: remember_ask(request, response, collection),
        )
    return remember_ask(request, ask_once(service, body), collection)
