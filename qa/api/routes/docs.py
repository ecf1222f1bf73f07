"""GET /docs: Swagger UI from the `swagger-ui-bundle-v2` package's files, not from a CDN.

Nothing on the page loads from another site, so no third party can change what runs on it
(no integrity hashes to keep in step). The assets are served from memory (qa.api.static).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from qa.api.static import asset_response, load_asset

router = APIRouter(include_in_schema=False)

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — API docs",
        swagger_js_url=f"{root}/docs/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/docs/swagger-ui.css",
        swagger_favicon_url=f"{root}/docs/favicon-32x32.png",
    )


@router.get("/docs/{name}")
async def swagger_asset(request: Request, name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404)
    return asset_response(
        request, load_asset(swagger_ui_path / name, ASSETS[name]), {"Cache-Control": "public, max-age=86400"}
    )
