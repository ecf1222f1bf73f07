"""ASGI middleware of the hardened API; `install_middleware` puts them in the right order."""

from __future__ import annotations

from fastapi import FastAPI

from qa.api.middleware.access import AccessMiddleware
from qa.api.middleware.limits import BodyLimitMiddleware
from qa.api.middleware.observe import ObserveMiddleware, configure_access_log
from qa.settings import Settings


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: observe (ids, logs, metrics) → body limits → keys and rate limits.

    Call it before CORS is installed, so CORS stays outermost and even a 401/413/429 carries
    the CORS headers a cross-origin widget needs to read the error.
    """
    if settings.access_log:
        configure_access_log()
    # add_middleware puts each new one outside the previous ones: add innermost first.
    app.add_middleware(AccessMiddleware, settings=settings)
    # POST /v1/documents takes up to two document files as multipart/form-data.
    uploads = {"/v1/documents": 2 * settings.max_document_bytes + 65536}
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, uploads=uploads)
    app.add_middleware(ObserveMiddleware, log_requests=settings.access_log)
