"""The MCP server over streamable HTTP at `/mcp` of the app, behind the same keys as /v1/ask.

Stateless (each request stands alone, any worker may answer it) with plain JSON responses, so
it passes proxies and scales like the rest of the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from qa.api.errors import error_response
from qa.api.grant import grant_of
from qa.api.mcp.tools import build_server
from qa.api.middleware.keys import KeyRing, presented_key
from qa.api.policy import RoutePolicy, declare
from qa.service import Service, ServiceHolder
from qa.settings import Settings
from qa.store.collections import DEFAULT_COLLECTION

MCP_PATH = "/mcp"
MCP_POLICY = RoutePolicy(scope="ask")


def _loaded(holder: ServiceHolder) -> Service:
    if holder.service is None:
        raise ToolError(
            f"the index could not be loaded: {holder.error}"
            if holder.error
            else "the index is still loading; retry shortly"
        )
    return holder.service


class RequireApiKey:
    """With QA_API_KEYS set, /mcp answers only a request with one of them, like /v1/ask.

    (The access middleware checks keys by path prefix, /v1/*; this keeps /mcp from being the one
    open door until it reads each route's declared policy instead.)"""

    def __init__(self, app: ASGIApp, api_keys: list[str]) -> None:
        self.app = app
        self.keys = KeyRing(api_keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = presented_key(Headers(scope=scope))
        if scope["type"] == "http" and self.keys and not self.keys.matches(key):
            code, message = (
                ("missing_api_key", "this API needs a key: send 'Authorization: Bearer <key>'")
                if key is None
                else ("invalid_api_key", "the API key is not valid")
            )
            await error_response(401, code, message, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)


class DefaultCollectionOnly:
    """The MCP tools read the collection `default` only, so a key limited to other collections
    is refused here (403 `collection_forbidden`, as on /v1), before any tool runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not grant_of(scope).may_use(DEFAULT_COLLECTION):
            await error_response(
                403,
                "collection_forbidden",
                f"this key may not use the collection '{DEFAULT_COLLECTION}', the only one /mcp serves",
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)


class TransportEndpoint:
    """The MCP transport as an ASGI endpoint. The SDK's session manager runs once only, so each
    lifespan of the app (a test client may start it again) builds a fresh transport app."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self.app: Starlette | None = None

    def renew(self) -> None:
        # The app's keys and CORS guard /mcp as they guard /v1/*; the SDK's own Host check would
        # refuse every request that reaches a server bound to 127.0.0.1 through a reverse proxy.
        self.app = self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            await error_response(
                503, "not_ready", "the MCP endpoint starts with the server; retry shortly", {"Retry-After": "2"}
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mcp_router(holder: ServiceHolder, settings: Settings) -> APIRouter:
    """A router holding the MCP endpoint and the lifespan its session manager needs."""
    endpoint = TransportEndpoint(build_server(lambda: _loaded(holder)))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        endpoint.renew()
        async with endpoint.server.session_manager.run():
            yield

    router = APIRouter(lifespan=lifespan)
    # A Route, not a Mount: it answers `/mcp` itself (a Mount answers only `/mcp/…`, and this
    # app never redirects slashes). The transport app routes the same path to the MCP handler.
    guarded = RequireApiKey(DefaultCollectionOnly(endpoint), settings.api_keys)
    router.routes.append(Route(MCP_PATH, endpoint=declare(MCP_POLICY)(guarded)))
    return router


def install_mcp(app: FastAPI, holder: ServiceHolder) -> None:
    """Serve MCP at /mcp of `app` and register its policy (one line in create_app)."""
    router = mcp_router(holder, app.state.settings)
    app.include_router(router)
    app.state.policies.add(router.routes)
