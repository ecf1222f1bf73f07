"""POST /v1/admin/reload: switch to the live index version (scope `admin`, checked by the gate)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from qa.api.errors import ApiError
from qa.api.policy import RoutePolicy, declare
from qa.api.reloader import IndexReloader, NotLoaded
from qa.api.schemas import ErrorBody
from qa.store.base import StoreError

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class ReloadStatus(BaseModel):
    status: str
    index_version: str
    previous_version: str


@router.post(
    "/reload", response_model=ReloadStatus, responses={code: {"model": ErrorBody} for code in (401, 403, 409, 429, 503)}
)
@declare(RoutePolicy(scope="admin"))
def reload_index(request: Request) -> ReloadStatus:
    """Serve the version index/CURRENT names, after verifying it; the old one serves until then."""
    reloader: IndexReloader = request.app.state.reloader
    try:
        outcome = reloader.reload()
    except NotLoaded as exc:
        raise ApiError(503, "not_ready", str(exc), headers={"Retry-After": "2"}) from exc
    except StoreError as exc:
        raise ApiError(409, "index_refused", f"{exc}; still serving the previous version") from exc
    return ReloadStatus(
        status=outcome.status, index_version=outcome.index_version, previous_version=outcome.previous_version
    )
