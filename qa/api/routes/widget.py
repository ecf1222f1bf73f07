"""GET /widget.js + /widget.css (the embeddable chat widget) and GET / (a demo page embedding it).

All `async def` and served from memory (qa.api.static): they answer while search is busy.
HEAD is answered by HeadAsGetMiddleware.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from qa.api.static import asset_response, load_asset

WIDGET_DIR = Path(__file__).resolve().parent.parent.parent / "widget"

router = APIRouter(tags=["widget"], include_in_schema=False)

# The demo page runs with no inline script or style at all: the widget must work under this.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)
_ASSET_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    # Host pages on other sites (even ones with Cross-Origin-Embedder-Policy) may load it.
    "Cross-Origin-Resource-Policy": "cross-origin",
}
DEMO_LANGS = {"en": "en", "zh": "zh-CN"}


def _asset(request: Request, name: str, media_type: str, **extra: str) -> Response:
    return asset_response(request, load_asset(WIDGET_DIR / name, media_type), _ASSET_HEADERS | extra)


@router.get("/widget.js")
async def widget_js(request: Request) -> Response:
    return _asset(request, "widget.js", "text/javascript; charset=utf-8")


@router.get("/widget.css")
async def widget_css(request: Request) -> Response:
    """Fetched by widget.js from whatever site embeds it, so any origin may read it."""
    return _asset(request, "widget.css", "text/css; charset=utf-8", **{"Access-Control-Allow-Origin": "*"})


@router.get("/demo.css")
async def demo_css(request: Request) -> Response:
    return _asset(request, "demo.css", "text/css; charset=utf-8")


@lru_cache(maxsize=1)
def _demo_template() -> str:
    return (WIDGET_DIR / "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
async def demo_page(request: Request, lang: str = Query("en", max_length=8)) -> HTMLResponse:
    """The demo page; `?lang=zh` switches the page (and so the widget) to Chinese."""
    page = _demo_template()
    page = page.replace('<html lang="en">', f'<html lang="{DEMO_LANGS.get(lang, "en")}">', 1)
    # The embed snippet shows this server's own address (escaped: it comes from the Host header).
    page = page.replace("https://HOST", html.escape(str(request.base_url).rstrip("/")))
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": DEMO_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )
