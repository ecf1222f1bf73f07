"""Static files served from memory, with an ETag: no file I/O and no worker thread per request.

Static routes are `async def` and read nothing from disk after the first request, so they
answer from the event loop even while every worker thread is busy with search.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response


@dataclass(frozen=True)
class Asset:
    content: bytes
    media_type: str
    etag: str


@lru_cache(maxsize=64)
def load_asset(path: Path, media_type: str) -> Asset:
    content = path.read_bytes()
    return Asset(content, media_type, f'"{hashlib.sha256(content).hexdigest()[:20]}"')


def asset_response(request: Request, asset: Asset, headers: dict[str, str] | None = None) -> Response:
    """The asset, or 304 when the client already holds this version."""
    headers = {**(headers or {}), "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.content, media_type=asset.media_type, headers=headers)
