"""Body size and content-type limits, checked before a request body reaches FastAPI.

Pure ASGI (no BaseHTTPMiddleware): the body is read here, at most `max_bytes` of it, and
replayed to the app, so an oversized body is refused whether or not it declared its length.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import error_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
DISCONNECTED_SCOPE_KEY = "qa.client_disconnected"  # the client left before its body was read


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _form_allowed(scope: Scope, headers: Headers) -> bool:
    """A route that declares `form=True` (qa.api.policy) takes a small urlencoded HTML form."""
    if not headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
        return False
    policies = getattr(getattr(scope.get("app"), "state", None), "policies", None)
    policy = policies.lookup(scope) if policies is not None else None
    return bool(policy is not None and policy.form)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = 65536, uploads: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths that take file uploads (multipart/form-data) instead of JSON, with their own limit.
        self.uploads = uploads or {}

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes // 1024} KiB; send a shorter query"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload_limit = self.uploads.get(scope.get("path", "").rstrip("/"))
        if upload_limit is not None and headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self._upload(scope, receive, send, upload_limit)
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, "payload_too_large", self._too_large())(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                scope[DISCONNECTED_SCOPE_KEY] = True  # recorded as 499, not as a server error
                return  # the client left; nobody to answer
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await error_response(413, "payload_too_large", self._too_large())(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if body and not is_json_media_type(headers.get("content-type", "")) and not _form_allowed(scope, headers):
            sent = headers.get("content-type") or "none"
            await error_response(
                415, "unsupported_media_type",
                f"the body must be JSON sent with 'Content-Type: application/json' (got {sent[:100]!r})",
            )(scope, receive, send)
            return
        await self.app(scope, replay_body({"type": "http.request", "body": bytes(body),
                                           "more_body": False}, receive), send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Buffer a multipart body of at most `limit` bytes (admin uploads), else 413."""
        message = f"the upload is larger than {limit / 1e6:.1f} MB (QA_MAX_DOCUMENT_BYTES per file)"
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(413, "payload_too_large", message)(scope, receive, send)
            return
        body = bytearray()
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            if len(body) > limit:
                await error_response(413, "payload_too_large", message)(scope, receive, send)
                return
            if not msg.get("more_body", False):
                break
        await self.app(scope, replay_body({"type": "http.request", "body": bytes(body),
                                           "more_body": False}, receive), send)


def replay_body(message: Message, receive: Receive) -> Receive:
    """A receive() that hands `message` (the whole buffered body) over once, then defers to
    the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return message
        return await receive()

    return replayed
