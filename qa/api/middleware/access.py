"""Who may call what: API keys on /v1/*, per-client rate limits, public infrastructure paths.

Rate limiting runs before the key check, so guessing keys is throttled like any other traffic.
/v1/admin/*, /v1/jobs/* and document uploads/deletes are left to their own admin-key check
(qa.api.routes.admin.require_admin).

The client is the API key when a valid one is presented, else the address. A widget key is
public and shared by every visitor of the pages that embed it, so there the client is the
visitor's address *behind* the key (the forwarded address when the peer is a trusted proxy,
see QA_FORWARDED_ALLOW_IPS, else the peer): one visitor cannot spend everyone's allowance. The
key as a whole has its own ceiling (QA_WIDGET_KEY_LIMIT_PER_MINUTE) on top.
"""

from __future__ import annotations

import math

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from qa.api.errors import error_response
from qa.api.middleware.keys import KeyRing, fingerprint, origin_allowed, presented_key
from qa.api.middleware.ratelimit import TokenBuckets, retry_after_header
from qa.settings import Settings

API_PREFIX = "/v1/"
ADMIN_PREFIX = "/v1/admin/"


def admin_route(method: str, path: str) -> bool:
    """Routes that check the admin key themselves: /v1/admin/*, document uploads/deletes, jobs."""
    return (path.startswith(ADMIN_PREFIX) or path.startswith("/v1/jobs/")
            or (method in ("POST", "DELETE") and (path == "/v1/documents" or path.startswith("/v1/documents/"))))
CLIENT_SCOPE_KEY = "qa.client"  # read by the access log; never holds the key itself
WIDGET_PREFIX = "widget:"


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.api_keys = KeyRing(settings.api_keys)
        self.widget_keys = KeyRing(settings.widget_keys)
        self.widget_origins = list(settings.cors_origins)
        self.metrics_public = settings.metrics_public
        limited = settings.rate_limit_per_minute > 0 and settings.rate_limit_burst > 0
        self.buckets = (TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
                        if limited else None)
        ceiling = settings.widget_key_limit_per_minute
        # Ten seconds' worth of the ceiling at once, and never less than one visitor's burst.
        self.widget_ceiling = (TokenBuckets(ceiling, max(settings.rate_limit_burst, math.ceil(ceiling / 6)))
                               if limited and ceiling > 0 else None)

    def _needs_key(self, method: str, path: str) -> bool:
        if not (self.api_keys or self.widget_keys):
            return False
        if admin_route(method, path):
            return False
        return path.startswith(API_PREFIX) or (path == "/metrics" and not self.metrics_public)

    def _check(self, headers: Headers, key: str | None, address: str) -> tuple[str, str | None, str | None]:
        """(client id, error code, error message); the client is named by its key when valid,
        and a widget key's client by the visitor's address behind it."""
        if self.api_keys.matches(key):
            return f"key:{fingerprint(key)}", None, None
        if self.widget_keys.matches(key):
            if origin_allowed(headers, self.widget_origins):
                return f"{WIDGET_PREFIX}{fingerprint(key)}@{address}", None, None
            return "", "origin_not_allowed", ("this widget key only works from the web pages "
                                             "allowed by QA_CORS_ORIGINS")
        if key is None:
            return "", "missing_api_key", ("this API needs a key: send 'Authorization: Bearer <key>' "
                                           "or 'X-API-Key: <key>'")
        return "", "invalid_api_key", "the API key is not valid"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not (
                path.startswith(API_PREFIX) or path == "/metrics"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = presented_key(headers)
        address = scope["client"][0] if scope.get("client") else "unknown"
        client, code, message = self._check(headers, key, address)
        if not client:
            client = f"ip:{address}"
        scope[CLIENT_SCOPE_KEY] = client
        if self.buckets is not None and path.startswith(API_PREFIX):
            wait = self.buckets.take(client)
            message_429 = "too many requests; retry in {} s"
            if wait == 0 and self.widget_ceiling is not None and client.startswith(WIDGET_PREFIX):
                wait = self.widget_ceiling.take(client.partition("@")[0])
                message_429 = ("too many requests through this widget from all its visitors "
                               "together; retry in {} s")
            if wait > 0:
                retry = retry_after_header(wait)
                await error_response(429, "rate_limited", message_429.format(retry),
                                     headers={"Retry-After": retry})(scope, receive, send)
                return
        if code is not None and self._needs_key(scope["method"], path):
            status = 403 if code == "origin_not_allowed" else 401
            auth_headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            await error_response(status, code, message, headers=auth_headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)
