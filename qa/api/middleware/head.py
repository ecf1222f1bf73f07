"""HEAD answers wherever GET does: the GET response's status and headers, without the body.

Load balancers and uptime checks probe with HEAD; FastAPI's routes answer only the methods
they declare. The inner app sees a GET (on a copy of the scope: the server must still know the
request was a HEAD), and the body is dropped on the way out, Content-Length kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.errors import ORIGINAL_METHOD_KEY


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        inner = dict(scope, method="GET")
        inner[ORIGINAL_METHOD_KEY] = "HEAD"

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(inner, receive, headers_only)
        finally:
            if "route" in inner:  # the metrics and the log name the route that answered
                scope["route"] = inner["route"]
