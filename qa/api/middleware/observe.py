"""Request ids, one JSON access-log line per request, request metrics and baseline headers.

Outermost but for the proxy-address fix, so CORS preflights (answered by the CORS middleware)
are logged and carry a request id too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.metrics import REQUEST_EXTRAS, observe_request
from qa.api.middleware.access import CLIENT_SCOPE_KEY
from qa.api.middleware.limits import DISCONNECTED_SCOPE_KEY

ACCESS_LOGGER = "qa.access"
REQUEST_ID_HEADER = "X-Request-ID"
# An inbound id is echoed only when it is short and plain, so it cannot forge log lines.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"  # unknown paths share one label: metrics stay bounded
CLIENT_CLOSED = 499

access_log = logging.getLogger(ACCESS_LOGGER)


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def configure_access_log() -> None:
    """Plain JSON lines on stderr, independent of uvicorn's own logging setup."""
    if not access_log.handlers:
        handler = _CurrentStderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _documented_paths(app) -> list[tuple[re.Pattern, str]]:
    """The OpenAPI path templates of `app` as regexes, compiled once per app."""
    compiled = getattr(app.state, "route_templates", None)
    if compiled is None:
        compiled = [(compile_path(path)[0], path) for path in app.openapi().get("paths", {})]
        app.state.route_templates = compiled
    return compiled


def route_template(scope: Scope) -> str:
    """The matched route's path template; for requests refused before routing (401, 413, 415,
    429), the documented template they were addressed to."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path", UNMATCHED_ROUTE)
    app = scope.get("app")
    if app is not None and hasattr(app, "openapi"):
        path = scope.get("path", "")
        for regex, template in _documented_paths(app):
            if regex.match(path):
                return template
    return UNMATCHED_ROUTE


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        started = time.perf_counter()
        status = 0  # no answer yet
        extras: dict = {}
        token = REQUEST_EXTRAS.set(extras)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            REQUEST_EXTRAS.reset(token)
            if not status:
                # A client that left mid-body got no answer: 499 (nginx's "client closed
                # request"), not a server error. Otherwise the app raised and the server says 500.
                status = CLIENT_CLOSED if scope.get(DISCONNECTED_SCOPE_KEY) else 500
            seconds = time.perf_counter() - started
            route = route_template(scope)
            observe_request(scope["method"], route, status, seconds)
            if self.log_requests:
                self._log(scope, request_id, route, status, seconds, extras)

    @staticmethod
    def _log(scope: Scope, request_id: str, route: str, status: int, seconds: float, extras: dict) -> None:
        client = scope.get(CLIENT_SCOPE_KEY)
        if client is None:
            client = f"ip:{scope['client'][0]}" if scope.get("client") else "ip:unknown"
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": "request",
            "request_id": request_id,
            "method": scope["method"][:16],  # any token is a valid method: keep lines short
            "path": scope.get("path", "")[:256],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1e3, 2),
            "client": client,  # "key:<fingerprint>" or "ip:<address>", never the key
            **extras,
        }
        access_log.info(json.dumps(line, ensure_ascii=False, default=str).encode("utf-8", "replace").decode("utf-8"))
