"""Errors of the OpenAI-compatible routes in OpenAI's shape:
`{"error": {"message", "type", "param", "code"}}`, so OpenAI clients raise their usual exceptions.

Only the routes built with `OpenAIRoute` answer this way; what the middleware refuses before a
route runs (401 key, 413 size, 429 rate) keeps the API's `{"error": {"code", "message"}}`, which
OpenAI clients read the same way (they look at the status and `error.message`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from qa.api.errors import ApiError
from qa.api.openai_schemas import OpenAIErrorBody
from qa.embed.batching import QueueFull, retry_after_seconds
from qa.store.base import StoreUnavailable

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": OpenAIErrorBody} for code in (400, 401, 404, 413, 429, 503)
}


class OpenAIError(Exception):
    def __init__(
        self, status: int, message: str, code: str, param: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.headers = status, message, code, param, headers

    def body(self) -> dict:
        kind = _TYPES.get(self.status, "server_error")
        message = self.message.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
        return {"error": {"message": message, "type": kind, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def _param(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or None


def from_validation(errors: list[dict]) -> OpenAIError:
    first = errors[0] if errors else {}
    param = _param(tuple(first.get("loc", ())))
    kind = first.get("type", "")
    if kind == "json_invalid":
        return OpenAIError(400, "the body is not valid JSON", "invalid_json")
    if kind == "missing":
        return OpenAIError(400, f"'{param}' is required", "missing_field", param)
    message = first.get("msg", "is invalid").removeprefix("Value error, ")
    return OpenAIError(400, f"'{param or 'body'}': {message}", "invalid_value", param)


def as_openai_error(exc: Exception) -> OpenAIError | None:
    """The OpenAI form of an error the app knows how to explain; None for a real bug."""
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, RequestValidationError):
        return from_validation(list(exc.errors()))
    if isinstance(exc, ApiError):
        return OpenAIError(exc.status, exc.message, exc.code, headers=exc.headers)
    if isinstance(exc, QueueFull):
        retry = retry_after_seconds(exc)
        return OpenAIError(
            503,
            f"the server is busy with other queries; retry in {retry} s",
            "overloaded",
            headers={"Retry-After": retry},
        )
    if isinstance(exc, StoreUnavailable):
        return OpenAIError(503, str(exc), "store_unavailable", headers={"Retry-After": "5"})
    if isinstance(exc, HTTPException):  # e.g. a body FastAPI could not parse
        message = exc.detail if isinstance(exc.detail, str) else "the request is invalid"
        return OpenAIError(exc.status_code, message, "invalid_request")
    return None


class OpenAIRoute(APIRoute):
    """A route whose errors (validation included) are answered in OpenAI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                error = as_openai_error(exc)
                if error is None:
                    raise  # the app's handler logs it and answers 500 internal_error
                return error.response()

        return handle
