"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from qa.api.deps import get_holder
from qa.api.errors import ApiError
from qa.api.schemas import ErrorBody, Status
from qa.service import ServiceHolder

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Status)
def healthz() -> Status:
    return Status(status="ok")


@router.get("/readyz", response_model=Status, responses={503: {"model": ErrorBody}})
def readyz(holder: ServiceHolder = Depends(get_holder)) -> Status:
    service = holder.service
    if service is None:
        if holder.error:
            raise ApiError(503, "index_unavailable", f"the index could not be loaded: {holder.error}")
        raise ApiError(503, "not_ready", "loading the model and index", headers={"Retry-After": "2"})
    return Status(status="ready", index_version=service.store.version,
                  model=service.encoder.model_id, passages=service.store.size)
