"""The access gate: who may call what, decided from the route's declared policy before any body.

For each request the gate looks up the matched route's `RoutePolicy` (qa.api.policy), resolves
the credential to a `Grant` (qa.api.grant) and refuses what the grant does not allow:
- environment keys: QA_API_KEYS (search, ask, documents:read), QA_WIDGET_KEYS (the same, only
  from pages on QA_CORS_ORIGINS / QA_PUBLIC_ORIGINS), QA_ADMIN_KEYS (admin, documents:write);
- stored keys (`qa keys create`, POST /v1/admin/keys) with their own scopes, collections,
  origins, budgets and expiry, read from a snapshot at most QA_KEY_CACHE_SECONDS old;
- visitor tokens (qa.api.middleware.tokens), JWTs signed for a stored key.
With no key able to read configured anywhere the API is open for reading to requests without
a key, as before keys existed (a key that is not valid is still refused, so its holder learns
it); documents:write and admin always need a key.

Rate limiting runs before the refusal, so guessing keys is throttled like any other traffic;
before both, a client that asks again sooner than the Retry-After it was given is held until
then (qa.api.middleware.retry_hold).
The client is the key when a valid one is presented, else the address. A key used from web
pages (a widget key, a stored key with origins, a visitor token) is shared by every visitor,
so there the client is the visitor's address *behind* the key: one visitor cannot spend
everyone's allowance; the key as a whole has its own ceiling (QA_WIDGET_KEY_LIMIT_PER_MINUTE,
and a stored key's `rate_per_minute`) on top.

The grant is left in the ASGI scope (`qa.api.grant.grant_of`) for the routes, which keep a key
inside its collections once they have read the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from qa.api.errors import error_response
from qa.api.grant import GRANT_SCOPE_KEY, NOTHING, OPEN, READ_SCOPES, Grant
from qa.api.middleware.keys import KeyRing, fingerprint, origin_allowed, presented_key
from qa.api.middleware.ratelimit import KeyBudgets, TokenBuckets, retry_after_header
from qa.api.middleware.retry_hold import RetryHold
from qa.api.middleware.stored_keys import Snapshot, StoredKeys
from qa.api.middleware.tokens import TokenRefused, claimed_key_id, looks_like_token, server_secret, verify
from qa.api.policy import RoutePolicy
from qa.settings import Settings
from qa.state.keys import hash_secret, key_id_of

API_PREFIX = "/v1/"
CLIENT_SCOPE_KEY = "qa.client"  # read by the access log; never holds the key itself
WIDGET_PREFIX = "widget:"
STORED_KEYS_STATE = "stored_keys"  # app.state attribute: the StoredKeys shared with the key routes
# What a key "may use this endpoint" needs on /metrics when it is not public: any valid key.
ANY_KEY = "any key"

MISSING_KEY = "this API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str

    def response(self, extra_headers: dict | None = None):
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else {}
        return error_response(self.status, self.code, self.message, headers=headers | (extra_headers or {}))


@dataclass(frozen=True)
class Resolution:
    """The credential's grant (NOTHING when there is none or it is refused), the rate-limit client
    and, for a credential that is not valid here, why."""

    grant: Grant
    client: str
    refusal: Refusal | None = None


def stored_keys_of(scope: Scope, settings: Settings) -> StoredKeys:
    """The app's stored-key snapshot (created with the app; made here for a bare app in tests)."""
    state = scope["app"].state
    if not hasattr(state, STORED_KEYS_STATE):
        setattr(state, STORED_KEYS_STATE, StoredKeys(settings))
    return getattr(state, STORED_KEYS_STATE)


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.api_keys = KeyRing(settings.api_keys)
        self.widget_keys = KeyRing(settings.widget_keys)
        self.admin_keys = KeyRing(settings.admin_keys)
        self.widget_origins = tuple(settings.cors_origins) + tuple(settings.public_origins)
        self.metrics_public = settings.metrics_public
        limited = settings.rate_limit_per_minute > 0 and settings.rate_limit_burst > 0
        self.buckets = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst) if limited else None
        ceiling = settings.widget_key_limit_per_minute
        # Ten seconds' worth of the ceiling at once, and never less than one visitor's burst.
        self.widget_ceiling = (
            TokenBuckets(ceiling, max(settings.rate_limit_burst, math.ceil(ceiling / 6)))
            if limited and ceiling > 0
            else None
        )
        self.key_budgets = KeyBudgets()
        self.retry_hold = RetryHold(settings.early_retry_hold_seconds)
        self._token_secret: bytes | None = None
        self._token_secret_read = False

    # --- who is calling ---------------------------------------------------------------------
    def _token_server_secret(self) -> bytes | None:
        if not self._token_secret_read:  # lazily: it may create a file in the index folder
            self._token_secret = server_secret(self.settings)
            self._token_secret_read = True
        return self._token_secret

    def _from_pages(self, grant: Grant, headers: Headers, handle: str, address: str) -> Resolution:
        """A key limited to some web pages: refused elsewhere; each visitor is its own client."""
        if not origin_allowed(headers, grant.origins or ()):
            return Resolution(
                NOTHING,
                f"ip:{address}",
                Refusal(
                    403,
                    "origin_not_allowed",
                    "this key only works from the web pages it was made for "
                    "(its origins; for QA_WIDGET_KEYS: QA_CORS_ORIGINS and QA_PUBLIC_ORIGINS)",
                ),
            )
        return Resolution(grant, f"{WIDGET_PREFIX}{handle}@{address}")

    def _visitor(self, token: str, snapshot: Snapshot, headers: Headers, address: str) -> Resolution:
        try:
            secret = self._token_server_secret()
            if secret is None:
                raise TokenRefused(
                    401,
                    "tokens_disabled",
                    "visitor tokens are off on this server: "
                    "replicas sharing QA_DATABASE_URL need a common QA_TOKEN_SECRET",
                )
            key = snapshot.by_id.get(claimed_key_id(token))
            if key is None:
                raise TokenRefused(
                    401, "invalid_token", "the key this visitor token names does not exist, was revoked or has expired"
                )
            grant = verify(token, secret, key.grant)
        except TokenRefused as refused:
            return Resolution(NOTHING, f"ip:{address}", Refusal(refused.status, refused.code, refused.message))
        if grant.origins:
            return self._from_pages(grant, headers, f"token:{grant.key_id}", address)
        return Resolution(grant, f"{WIDGET_PREFIX}token:{grant.key_id}@{address}")

    async def _resolve(self, scope: Scope, headers: Headers, address: str) -> tuple[Resolution, Snapshot]:
        credential = presented_key(headers)
        snapshot = await stored_keys_of(scope, self.settings).snapshot()
        anonymous = f"ip:{address}"
        if credential is None:
            return Resolution(NOTHING, anonymous), snapshot
        if self.admin_keys.matches(credential):
            return Resolution(
                Grant("env", frozenset({"admin", "documents:write"})), f"key:{fingerprint(credential)}"
            ), snapshot
        if self.api_keys.matches(credential):
            return Resolution(Grant("env", READ_SCOPES), f"key:{fingerprint(credential)}"), snapshot
        if self.widget_keys.matches(credential):
            grant = Grant("env", READ_SCOPES, origins=self.widget_origins)
            return self._from_pages(grant, headers, fingerprint(credential), address), snapshot
        if looks_like_token(credential):
            return self._visitor(credential, snapshot, headers, address), snapshot
        key = snapshot.by_hash.get(hash_secret(credential)) if key_id_of(credential) else None
        if key is None:
            return Resolution(NOTHING, anonymous, Refusal(401, "invalid_api_key", "the API key is not valid")), snapshot
        if key.grant.origins:
            return self._from_pages(key.grant, headers, key.id, address), snapshot
        return Resolution(key.grant, f"key:{key.id}"), snapshot

    # --- what it may do ---------------------------------------------------------------------
    def _open(self, snapshot: Snapshot) -> bool:
        """No key anywhere can read: the API is open for reading, as before keys existed."""
        return not (self.api_keys or self.widget_keys or snapshot.scopes & READ_SCOPES)

    def _anyone_may(self, needed: str, snapshot: Snapshot) -> bool:
        return bool(self.admin_keys) or needed in snapshot.scopes

    def _authorize(
        self, needed: str | None, resolution: Resolution, snapshot: Snapshot
    ) -> tuple[Grant, Refusal | None]:
        grant, refusal = resolution.grant, resolution.refusal
        if grant.expires_at is not None and grant.expires_at <= datetime.now(UTC):
            grant, refusal = NOTHING, Refusal(401, "key_expired", "this key has expired")
        if needed is None:
            return grant, None
        if needed in ("admin", "documents:write") and not self._anyone_may(needed, snapshot):
            return grant, Refusal(
                403,
                "admin_disabled",
                f"no key may use this endpoint (scope '{needed}'): "
                "set QA_ADMIN_KEYS or create a key with that scope (`qa keys create`)",
            )
        open_api = self._open(snapshot)
        if needed == ANY_KEY:
            return grant, (
                refusal
                or (None if grant.kind != "anonymous" or open_api else Refusal(401, "missing_api_key", MISSING_KEY))
            )
        if grant.allows(needed):
            return grant, None
        if refusal is not None:  # a key that is not valid is refused even on an open API: say so
            return grant, refusal
        if open_api and needed in READ_SCOPES:
            return OPEN, None
        if grant.kind == "anonymous":
            return grant, Refusal(401, "missing_api_key", MISSING_KEY)
        return grant, Refusal(
            403,
            "insufficient_scope",
            f"this key may not use this endpoint: it needs "
            f"the scope '{needed}' (the key has: {', '.join(sorted(grant.scopes)) or 'none'})",
        )

    def _needed(self, scope: Scope) -> str | None:
        """The scope the request needs (None: public), from the route's declared policy."""
        if scope["path"] == "/metrics":
            return None if self.metrics_public else ANY_KEY
        policy: RoutePolicy | None = scope["app"].state.policies.lookup(scope)
        return None if policy is None else policy.scope

    # --- how often --------------------------------------------------------------------------
    def _rate_wait(self, client: str, grant: Grant) -> tuple[float, str]:
        wait, message = 0.0, "too many requests; retry in {} s"
        if self.buckets is not None:
            wait = self.buckets.take(client)
            if wait == 0 and self.widget_ceiling is not None and client.startswith(WIDGET_PREFIX):
                wait = self.widget_ceiling.take(client.partition("@")[0])
                message = "too many requests through this widget from all its visitors together; retry in {} s"
        if wait == 0 and grant.key_id is not None and grant.rate_per_minute:
            wait = self.key_budgets.take(grant.key_id, grant.rate_per_minute)
            message = (
                f"this key's own limit of {grant.rate_per_minute:g} requests per minute is used up; retry in {{}} s"
            )
        return wait, message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        needed = self._needed(scope)
        if needed is None and not path.startswith(API_PREFIX):  # infrastructure: health, widget, docs
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        address = scope["client"][0] if scope.get("client") else "unknown"
        resolution, snapshot = await self._resolve(scope, headers, address)
        grant, refusal = self._authorize(needed, resolution, snapshot)
        client = resolution.client if refusal is None else f"ip:{address}"
        scope[CLIENT_SCOPE_KEY] = client
        if not path.startswith(API_PREFIX):
            await self._answer(scope, receive, send, grant, refusal)
            return
        async with self.retry_hold.turn(client, send) as send:
            wait, message = self._rate_wait(client, grant if refusal is None else NOTHING)
            if wait > 0:
                retry = retry_after_header(wait)
                await error_response(429, "rate_limited", message.format(retry), headers={"Retry-After": retry})(
                    scope, receive, send
                )
                return
            await self._answer(scope, receive, send, grant, refusal)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, grant: Grant, refusal: Refusal | None) -> None:
        if refusal is not None:
            await refusal.response()(scope, receive, send)
            return
        scope[GRANT_SCOPE_KEY] = grant
        await self.app(scope, receive, send)
