"""ASGI middleware of the hardened API; `install_middleware` puts them in the right order."""

from __future__ import annotations

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from qa.api.cors import install_cors
from qa.api.middleware.access import AccessMiddleware
from qa.api.middleware.cost import CostMiddleware
from qa.api.middleware.head import HeadAsGetMiddleware
from qa.api.middleware.limits import BodyLimitMiddleware, upload_limit
from qa.api.middleware.observe import ObserveMiddleware, configure_access_log
from qa.settings import Settings


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: client address → observe (ids, logs, metrics) → CORS → keys and rate
    limits → body limits → token cost → HEAD-as-GET → the routes.

    Keys and rate limits come before the body limits because they need only the headers: a
    caller without the right key, or over its rate, is refused before a byte of its body is
    read. The body limits then read (JSON, small) or stream (uploads) the body by the matched
    route's declared policy, and the token cost, which needs the body, comes last.

    The client address comes first so that rate limits and logs see the visitor behind a
    trusted proxy whatever server runs the app (uvicorn does the same when it runs `qa serve`;
    doing it twice changes nothing). Observe sits outside CORS so preflights are logged with a
    request id; CORS sits outside the limits so even a 401/413/429 carries the CORS headers a
    cross-origin widget needs to read the error.
    """
    if settings.access_log:
        configure_access_log()
    # add_middleware puts each new one outside the previous ones: add innermost first.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(CostMiddleware, settings=settings)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=upload_limit(settings.max_document_bytes),
    )
    app.add_middleware(AccessMiddleware, settings=settings)
    install_cors(app, settings)
    app.add_middleware(ObserveMiddleware, log_requests=settings.access_log)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
