"""The API's side of the question log: an answer id on every ask, a record of it in the log.

One function, `remember_ask`, is called by every path that answers a question (JSON and
streamed), so no answer escapes the log or goes without an id. The analytics are opened with
the app; when the state store cannot be reached, asks are served without ids and the reason is
logged (the ratings endpoint then answers 503).
"""

from __future__ import annotations

import logging

from fastapi import Request

from qa.analytics.recorder import AskEvent
from qa.analytics.service import OPT_OUT_HEADER, Analytics
from qa.api.errors import ApiError
from qa.api.middleware.access import CLIENT_SCOPE_KEY
from qa.api.schemas import AskResponse, SearchResponse
from qa.settings import Settings
from qa.state.db import open_state

log = logging.getLogger(__name__)


def open_analytics(settings: Settings) -> Analytics | None:
    try:
        return Analytics(open_state(settings), settings)
    except Exception as exc:  # a dead database must not stop the service from answering
        log.warning("question log and feedback are off: the state store failed to open (%s)", exc)
        return None


def client_of(request: Request) -> str:
    client = request.scope.get(CLIENT_SCOPE_KEY)
    if client:
        return str(client)
    return f"ip:{request.client.host}" if request.client else "ip:unknown"


def get_analytics(request: Request) -> Analytics:
    analytics: Analytics | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        raise ApiError(
            503,
            "analytics_unavailable",
            "feedback and analytics are unavailable: the state store could not be opened (see the server log)",
        )
    return analytics


def remember_ask(request: Request, response: AskResponse, collection: str = "default") -> AskResponse:
    """Give the answer an id and put the ask in the question log (unless the visitor opted out)."""
    analytics: Analytics | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        return response
    response.answer_id = analytics.new_answer_id()
    if analytics.opted_out(request.headers.get(OPT_OUT_HEADER)):
        return response
    support = getattr(response, "support", None) or ("stated" if response.answerable else "none")
    analytics.record(
        AskEvent(
            answer_id=response.answer_id,
            question=response.question,
            lang=response.question_lang,
            script=getattr(response, "question_script", None),
            support=support,
            confidence=response.confidence,
            cited=[hit.passage_id for hit in response.citations],
            latency_ms=response.took_ms or 0.0,
            visitor=analytics.visitor(client_of(request)),
            collection=collection,
        )
    )
    return response


def remember_search(request: Request, response: SearchResponse, collection: str = "default") -> SearchResponse:
    """Put a search in the question log when QA_ANALYTICS_SEARCHES is on (searches get no id)."""
    analytics: Analytics | None = getattr(request.app.state, "analytics", None)
    if analytics is None or not analytics.record_searches or analytics.opted_out(request.headers.get(OPT_OUT_HEADER)):
        return response
    analytics.record(
        AskEvent(
            answer_id=analytics.new_answer_id(),
            question=response.query,
            lang=response.query_lang,
            script=getattr(response, "query_script", None),
            support="stated" if response.confident else "none",
            confidence=response.confidence,
            cited=[hit.passage_id for hit in response.results],
            latency_ms=response.took_ms,
            visitor=analytics.visitor(client_of(request)),
            kind="search",
            collection=collection,
        )
    )
    return response
