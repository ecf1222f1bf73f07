"""What a search or ask costs, in encoder tokens, charged before the request reaches a thread.

Encoding time grows with the query's token count (qa/embed/tokens.py), so the per-client limit
is in tokens: each client spends from a bucket of QA_TOKEN_LIMIT_PER_MINUTE (429
token_budget_exceeded with Retry-After), on top of the per-request rate limit. A query costs
its token count up to QA_MAX_QUERY_TOKENS, the most the encoder reads of one (the rest is cut,
qa.embed.batching). The query is read with the validator of qa.api.schemas, so a query that
validation would refuse is left to it (and to its clearer message).

Runs inside BodyLimitMiddleware (the body arrives whole) and AccessMiddleware (the client is
known).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import error_response
from qa.api.metrics import REQUEST_EXTRAS
from qa.api.middleware.access import CLIENT_SCOPE_KEY
from qa.api.middleware.limits import replay_body
from qa.api.middleware.ratelimit import TokenBuckets, retry_after_header
from qa.api.schemas import _trimmed_query
from qa.embed.tokens import token_counter
from qa.settings import Settings

# The endpoints that encode a query, and the body field holding it.
QUERY_FIELDS = {"/v1/search": "query", "/v1/ask": "question"}


def query_of(body: bytes, field: str) -> str | None:
    """The query as validation will see it, or None when the body or the query is invalid."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # invalid, too deep, a 5,000-digit number: not ours
        return None
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return _trimmed_query(value)
    except ValueError:
        return None


class CostMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_tokens = settings.max_query_tokens
        self.buckets = (TokenBuckets(settings.token_limit_per_minute,
                                     max(settings.token_limit_burst, settings.max_query_tokens))
                        if settings.token_limit_per_minute > 0 else None)
        self.per_minute = settings.token_limit_per_minute

    @staticmethod
    def _counter(scope: Scope):
        app = scope.get("app")
        holder = getattr(getattr(app, "state", None), "holder", None)
        service = getattr(holder, "service", None)
        return token_counter(service.encoder) if service is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        field = (QUERY_FIELDS.get(scope.get("path", ""))
                 if scope["type"] == "http" and scope["method"] == "POST" else None)
        if field is None:
            await self.app(scope, receive, send)
            return
        message: Message = await receive()
        receive = replay_body(message, receive)
        query = query_of(message.get("body", b""), field) if message["type"] == "http.request" else None
        counter = self._counter(scope) if query is not None else None
        if counter is not None:
            tokens = min(counter(query), self.max_tokens)
            extras = REQUEST_EXTRAS.get()
            if extras is not None:
                extras["query_tokens"] = tokens
            if self.buckets is not None:
                client = scope.get(CLIENT_SCOPE_KEY) or f"ip:{(scope.get('client') or ('unknown',))[0]}"
                wait = self.buckets.take(client, tokens)
                if wait > 0:
                    retry = retry_after_header(wait)
                    await error_response(
                        429, "token_budget_exceeded",
                        f"this client has used its {self.per_minute:g} encoder tokens per minute "
                        f"(this query needs {tokens}); retry in {retry} s",
                        headers={"Retry-After": retry})(scope, receive, send)
                    return
        await self.app(scope, receive, send)
