"""CORS for the embedded widget: browsers on the origins in QA_CORS_ORIGINS, or named by a stored
key's `origins`, may call the API."""

from __future__ import annotations

import json

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from qa.api.errors import error_response
from qa.api.middleware.stored_keys import StoredKeys
from qa.settings import Settings

# The widget sends JSON; an API key header is allowed for deployments that configure keys.
ALLOWED_HEADERS = ["Content-Type", "Authorization", "X-API-Key"]
# Read by the widget to say how long to wait after a 429.
EXPOSED_HEADERS = ["Retry-After"]


class ApiCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with refused preflights answered in the API's one error shape, and the
    origins of stored keys allowed too (read from the same snapshot the access gate uses)."""

    def __init__(self, app: ASGIApp, **options) -> None:
        super().__init__(app, **options)
        self.key_origins: StoredKeys | None = None  # the app's, found at the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and Headers(scope=scope).get("origin"):
            if self.key_origins is None:
                self.key_origins = getattr(scope["app"].state, "stored_keys", None)
            if self.key_origins is not None:
                await self.key_origins.snapshot()  # a key made on another replica counts here too
        await super().__call__(scope, receive, send)

    def is_allowed_origin(self, origin: str) -> bool:
        return super().is_allowed_origin(origin) or (
            self.key_origins is not None and origin in self.key_origins.current.origins
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reasons = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        message = f"cross-origin request refused: disallowed {reasons}"
        if "origin" in reasons:
            origin = json.dumps(request_headers.get("origin", ""))
            message += f"; add {origin} to QA_CORS_ORIGINS to let that site call this API"
        return error_response(403, "cors_refused", message)


def install_cors(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(
        ApiCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
