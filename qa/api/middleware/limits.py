"""Body size and content-type limits, from the matched route's declared policy, before the body.

Pure ASGI (no BaseHTTPMiddleware). What a route may receive is its `RoutePolicy`
(qa/api/policy.py), found from the method and path alone:
- no route: nothing is read (the app answers 404 or 405);
- a JSON route: at most QA_MAX_BODY_BYTES, read here and replayed to the app (small by design,
  and the cost middleware reads it too), so an oversized body is refused whether or not it
  declared its length; a non-JSON body is 415;
- an `upload=True` route sent multipart/form-data: the body is *not* held here. It streams
  through, counted: a declared length over the limit is refused before a byte is read, and an
  undeclared one is cut off (413) the moment it passes the limit. The route's form parser
  spools the files to disk, so an upload never sits in memory whole.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import error_response
from qa.api.policy import RoutePolicy

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
DISCONNECTED_SCOPE_KEY = "qa.client_disconnected"  # the client left before its body was read
# Room for the multipart boundaries, part headers and small form fields around the files.
MULTIPART_OVERHEAD_BYTES = 65536
FILES_PER_UPLOAD = 2  # POST /v1/documents takes `file`, or the two editions `zh` and `en`


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def route_policy(scope: Scope) -> RoutePolicy | None:
    """The policy of the route this request will reach (None: no route matches)."""
    policies = getattr(getattr(scope.get("app"), "state", None), "policies", None)
    return policies.lookup(scope) if policies is not None else None


class UploadTooLarge(Exception):
    """Raised from receive() inside the app once a streamed upload passes its limit."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = 65536, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes or max_bytes

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes // 1024} KiB; send a shorter query"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        policy = route_policy(scope)
        if policy is None:  # 404/405 from the app, which reads no body
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if policy.upload and is_multipart(headers.get("content-type", "")):
            await self._stream_upload(scope, receive, send)
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
        form = policy.form and headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded")
        if body and not is_json_media_type(headers.get("content-type", "")) and not form:
            sent = headers.get("content-type") or "none"
            await error_response(
                415,
                "unsupported_media_type",
                f"the body must be JSON sent with 'Content-Type: application/json' (got {sent[:100]!r})",
            )(scope, receive, send)
            return
        await self.app(
            scope, replay_body({"type": "http.request", "body": bytes(body), "more_body": False}, receive), send
        )

    async def _stream_upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a multipart body through, counting it; 413 as soon as it passes the limit."""
        limit = self.max_upload_bytes
        message = (
            f"the upload is larger than {limit / 1e6:.1f} MB ({FILES_PER_UPLOAD} files of "
            "QA_MAX_DOCUMENT_BYTES at most)"
        )
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(413, "payload_too_large", message)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.disconnect":
                scope[DISCONNECTED_SCOPE_KEY] = True
            received += len(msg.get("body", b""))
            if received > limit:
                raise UploadTooLarge
            return msg

        async def watched(msg: Message) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counted, watched)
        except UploadTooLarge:
            if not started:
                await error_response(413, "payload_too_large", message)(scope, receive, send)


def upload_limit(max_document_bytes: int) -> int:
    """Largest multipart body an upload route accepts: its files at the document limit."""
    return FILES_PER_UPLOAD * max_document_bytes + MULTIPART_OVERHEAD_BYTES


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
