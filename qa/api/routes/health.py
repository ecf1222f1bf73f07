"""Liveness and readiness.

`async def` with no blocking work: they run on the event loop, never in the worker threads that
search and ask occupy, so they answer at once while the encoder is saturated. HEAD is answered
by HeadAsGetMiddleware.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from qa.api.errors import ApiError
from qa.api.schemas import ErrorBody, Status

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Status)
async def healthz() -> Status:
    return Status(status="ok")


@router.get("/readyz", response_model=Status, responses={503: {"model": ErrorBody}})
async def readyz(request: Request) -> Status:
    holder = request.app.state.holder
    service = holder.service
    if service is None:
        if holder.error:
            raise ApiError(503, "index_unavailable", f"the index could not be loaded: {holder.error}")
        raise ApiError(503, "not_ready", "loading the model and index", headers={"Retry-After": "2"})
    return Status(
        status="ready", index_version=service.store.version, model=service.encoder.model_id, passages=service.store.size
    )
