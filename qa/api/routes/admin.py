"""POST /v1/admin/reload: switch to the live index version (admin key, QA_ADMIN_KEYS)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.datastructures import Headers

from qa.api.policy import RoutePolicy, declare
from qa.api.errors import ApiError
from qa.api.middleware.keys import KeyRing, presented_key
from qa.api.reloader import IndexReloader, NotLoaded
from qa.api.schemas import ErrorBody
from qa.store.base import StoreError

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class ReloadStatus(BaseModel):
    status: str
    index_version: str
    previous_version: str


def require_admin(request: Request) -> None:
    keys = KeyRing(request.app.state.settings.admin_keys)
    if not keys:
        raise ApiError(403, "admin_disabled", "admin endpoints are off: set QA_ADMIN_KEYS to use them")
    key = presented_key(Headers(scope=request.scope))
    if not keys.matches(key):
        code = "missing_api_key" if key is None else "invalid_api_key"
        raise ApiError(401, code, "an admin key is needed: send 'Authorization: Bearer <admin key>'",
                       headers={"WWW-Authenticate": "Bearer"})


@router.post("/reload", response_model=ReloadStatus,
             responses={code: {"model": ErrorBody} for code in (401, 403, 409, 429, 503)})
@declare(RoutePolicy(scope="admin"))
def reload_index(request: Request) -> ReloadStatus:
    """Serve the version index/CURRENT names, after verifying it; the old one serves until then."""
    require_admin(request)
    reloader: IndexReloader = request.app.state.reloader
    try:
        outcome = reloader.reload()
    except NotLoaded as exc:
        raise ApiError(503, "not_ready", str(exc), headers={"Retry-After": "2"}) from exc
    except StoreError as exc:
        raise ApiError(409, "index_refused", f"{exc}; still serving the previous version") from exc
    return ReloadStatus(status=outcome.status, index_version=outcome.index_version,
                        previous_version=outcome.previous_version)
