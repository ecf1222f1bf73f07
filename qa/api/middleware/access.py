"""Who may call what: API keys on /v1/*, per-client rate limits, public infrastructure paths.

Rate limiting runs before the key check, so guessing keys is throttled like any other traffic.
/v1/admin/*, /v1/jobs/* and document uploads/deletes are left to their own admin-key check
(qa.api.routes.admin.require_admin).
"""

from __future__ import annotations

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


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.api_keys = KeyRing(settings.api_keys)
        self.widget_keys = KeyRing(settings.widget_keys)
        self.widget_origins = list(settings.cors_origins)
        self.metrics_public = settings.metrics_public
        self.buckets = (TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
                        if settings.rate_limit_per_minute > 0 and settings.rate_limit_burst > 0 else None)

    def _needs_key(self, method: str, path: str) -> bool:
        if not (self.api_keys or self.widget_keys):
            return False
        if admin_route(method, path):
            return False
        return path.startswith(API_PREFIX) or (path == "/metrics" and not self.metrics_public)

    def _check(self, headers: Headers, key: str | None) -> tuple[str, str | None, str | None]:
        """(client id, error code, error message); the client is named by its key when valid."""
        if self.api_keys.matches(key):
            return f"key:{fingerprint(key)}", None, None
        if self.widget_keys.matches(key):
            if origin_allowed(headers, self.widget_origins):
                return f"widget:{fingerprint(key)}", None, None
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
        client, code, message = self._check(headers, key)
        if not client:
            client = f"ip:{scope['client'][0]}" if scope.get("client") else "ip:unknown"
        scope[CLIENT_SCOPE_KEY] = client
        if self.buckets is not None and path.startswith(API_PREFIX):
            wait = self.buckets.take(client)
            if wait > 0:
                retry = retry_after_header(wait)
                await error_response(429, "rate_limited", f"too many requests; retry in {retry} s",
                                     headers={"Retry-After": retry})(scope, receive, send)
                return
        if code is not None and self._needs_key(scope["method"], path):
            status = 403 if code == "origin_not_allowed" else 401
            auth_headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            await error_response(status, code, message, headers=auth_headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)
