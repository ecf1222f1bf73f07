"""One error body everywhere: {"error": {"code": ..., "message": ...}}; never a stack trace."""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from qa.api.metrics import OVERLOADED
from qa.embed.batching import QueueFull, retry_after_seconds
from qa.store.base import StoreUnavailable

log = logging.getLogger(__name__)

ORIGINAL_METHOD_KEY = "qa.original_method"  # set by HeadAsGetMiddleware on the GET it serves

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "not_ready",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    # A message may quote the caller's input, lone surrogates included: never fail to encode it.
    message = message.encode("utf-8", "replace").decode("utf-8")
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _describe(errors: list[dict]) -> tuple[str, str]:
    """A short code and a sentence that says what to fix, from pydantic's error list."""
    parts = []
    code = "invalid_request"
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # where the field sits is not news to the caller
        where = ".".join(loc) or "body"
        kind = err.get("type", "")
        if kind == "json_invalid":
            code = "invalid_json"
            parts.append("the body is not valid JSON")
        elif kind == "extra_forbidden":
            code = "unknown_field"
            parts.append(f"unknown field '{where}'")
        elif kind == "missing":
            parts.append(f"'{where}' is required")
        else:
            msg = err.get("msg", "is invalid").removeprefix("Value error, ")
            parts.append(f"'{where}': {msg}")
    return code, "; ".join(parts) or "the request is invalid"


def _unreadable_body(cause: BaseException | None) -> tuple[str, str]:
    """(code, message) for a body that json.loads refused without a JSON syntax error."""
    if isinstance(cause, RecursionError):
        return "json_too_deep", (
            "the JSON is nested too deeply for this server to read (it stops "
            "near 1,000 levels); the request bodies of this API are 2 deep"
        )
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "json_number_too_long", (
            f"a number in the JSON has more than "
            f"{sys.get_int_max_str_digits()} digits, more than this server "
            "reads; no field of this API needs one that long"
        )
    return "invalid_json", "the body is not valid JSON in UTF-8"


def _serves(app: FastAPI, path: str) -> bool:
    """Whether some route answers `path` (with any method): for the trailing-slash hint."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": []}
    return any(route.matches(scope)[0] != Match.NONE for route in app.router.routes)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        code, message = _describe(exc.errors())
        return error_response(422, code, message)

    @app.exception_handler(QueueFull)
    async def _overloaded(request: Request, exc: QueueFull):
        OVERLOADED.inc()
        retry = retry_after_seconds(exc)
        return error_response(
            503,
            "overloaded",
            f"the server is busy with other queries; retry in {retry} s",
            headers={"Retry-After": retry},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a body json.loads could not read: say which limit it hit.
            return error_response(422, *_unreadable_body(exc.__cause__))
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        method = request.scope.get(ORIGINAL_METHOD_KEY, request.method)[:16]
        path = request.url.path[:200]
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {method} {path}"
            if path.endswith("/") and path != "/" and _serves(app, path.rstrip("/")):
                message += f" (without the trailing slash: {path.rstrip('/')})"
        allowed = (getattr(exc, "headers", None) or {}).get("Allow")
        if exc.status_code == 405 and message == "Method Not Allowed" and allowed:
            message = f"{method} is not allowed on {path}; use {allowed}"
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(request: Request, exc: StoreUnavailable):
        # A remote store (Milvus) is down or slow: the client may retry; the store reconnects itself.
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "store_unavailable", str(exc), {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server failed to handle this request; it has been logged")
