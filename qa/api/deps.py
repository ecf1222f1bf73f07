"""Request dependencies: the loaded service, or a 503 that says why not."""

from __future__ import annotations

from fastapi import Request

from qa.api.errors import ApiError
from qa.service import Service, ServiceHolder


def get_service(request: Request) -> Service:
    holder: ServiceHolder = request.app.state.holder
    service = holder.service
    if service is None:
        if holder.error:
            raise ApiError(503, "index_unavailable", f"the index could not be loaded: {holder.error}")
        raise ApiError(503, "not_ready", "the index is still loading; retry shortly",
                       headers={"Retry-After": "2"})
    return service
