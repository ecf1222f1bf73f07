"""What a request costs, in encoder tokens, charged before it reaches a thread; and who it is
for, so the encoder is shared fairly between clients.

Encoding time grows with the token count (qa/embed/tokens.py), so the per-client limit is in
tokens: each client spends from a bucket of QA_TOKEN_LIMIT_PER_MINUTE (429
token_budget_exceeded with Retry-After), on top of the per-request rate limit. The cost is what
will really be encoded: every text of the route's declared `cost_fields` (RoutePolicy; a list,
like /v1/ask's `history`, counts each item, since each is encoded), each up to
QA_MAX_QUERY_TOKENS, the most the encoder reads of one (the rest is cut, qa.embed.batching).
Texts are read with the validator of qa.api.schemas, so a body that validation would refuse is
left to it (and to its clearer message).

Every request also names its client in qa.embed.batching.ENCODER_CLIENT, which the encoder
queue uses for fair queuing: a client flooding the encoder delays itself, not the others.

Runs inside AccessMiddleware (the client is known) and BodyLimitMiddleware (the body arrives
whole).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import error_response
from qa.api.metrics import REQUEST_EXTRAS
from qa.api.middleware.access import CLIENT_SCOPE_KEY
from qa.api.middleware.limits import replay_body, route_policy
from qa.api.middleware.ratelimit import TokenBuckets, retry_after_header
from qa.api.schemas import _trimmed_query
from qa.embed.batching import ENCODER_CLIENT
from qa.embed.tokens import token_counter
from qa.settings import Settings


def texts_of(body: bytes, fields: tuple[str, ...]) -> list[str] | None:
    """The texts of `fields` as validation will see them (a list field gives each item), or
    None when the body or one of the texts is invalid."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # invalid, too deep, a 5,000-digit number: not ours
        return None
    if not isinstance(data, dict):
        return None
    texts = []
    for field in fields:
        value = data.get(field)
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                return None
            try:
                texts.append(_trimmed_query(item))
            except ValueError:
                return None
    return texts or None


def client_of(scope: Scope) -> str:
    return scope.get(CLIENT_SCOPE_KEY) or f"ip:{(scope.get('client') or ('unknown',))[0]}"


class CostMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_tokens = settings.max_query_tokens
        self.burst = max(settings.token_limit_burst, settings.max_query_tokens)
        self.buckets = (
            TokenBuckets(settings.token_limit_per_minute, self.burst) if settings.token_limit_per_minute > 0 else None
        )
        self.per_minute = settings.token_limit_per_minute

    @staticmethod
    def _counter(scope: Scope) -> Callable[[str], int] | None:
        app = scope.get("app")
        holder = getattr(getattr(app, "state", None), "holder", None)
        service = getattr(holder, "service", None)
        return token_counter(service.encoder) if service is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        reset = ENCODER_CLIENT.set(client)
        try:
            policy = route_policy(scope) if scope["method"] == "POST" else None
            if policy is None or not policy.cost_fields:
                await self.app(scope, receive, send)
                return
            await self._charged(scope, receive, send, policy.cost_fields, client)
        finally:
            ENCODER_CLIENT.reset(reset)

    async def _charged(self, scope: Scope, receive: Receive, send: Send, fields: tuple[str, ...], client: str) -> None:
        message: Message = await receive()
        receive = replay_body(message, receive)
        texts = texts_of(message.get("body", b""), fields) if message["type"] == "http.request" else None
        counter = self._counter(scope) if texts is not None else None
        if counter is not None:
            tokens = sum(min(counter(text), self.max_tokens) for text in texts)
            extras = REQUEST_EXTRAS.get()
            if extras is not None:
                extras["query_tokens"] = tokens
            if self.buckets is not None:
                # A request costing more than a full bucket (a question with a long history)
                # takes all of it: it passes, and the client waits a whole refill after it.
                wait = self.buckets.take(client, min(tokens, self.burst))
                if wait > 0:
                    retry = retry_after_header(wait)
                    await error_response(
                        429,
                        "token_budget_exceeded",
                        f"this client has used its {self.per_minute:g} encoder tokens per minute "
                        f"(this request needs {tokens}); retry in {retry} s",
                        headers={"Retry-After": retry},
                    )(scope, receive, send)
                    return
        await self.app(scope, receive, send)
