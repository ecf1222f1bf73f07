"""GET /widget.js + /widget.css (the embeddable chat widget) and GET / (a demo page embedding it)."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

WIDGET_DIR = Path(__file__).resolve().parent.parent.parent / "widget"

router = APIRouter(tags=["widget"], include_in_schema=False)

# The demo page runs with no inline script or style at all: the widget must work under this.
DEMO_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'self'")
_ASSET_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    # Host pages on other sites (even ones with Cross-Origin-Embedder-Policy) may load it.
    "Cross-Origin-Resource-Policy": "cross-origin",
}
DEMO_LANGS = {"en": "en", "zh": "zh-CN"}


def _asset(name: str, media_type: str) -> FileResponse:
    return FileResponse(WIDGET_DIR / name, media_type=media_type, headers=_ASSET_HEADERS)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_js() -> FileResponse:
    return _asset("widget.js", "text/javascript; charset=utf-8")


@router.api_route("/widget.css", methods=["GET", "HEAD"])
def widget_css() -> FileResponse:
    """Fetched by widget.js from whatever site embeds it, so any origin may read it."""
    response = _asset("widget.css", "text/css; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@router.api_route("/demo.css", methods=["GET", "HEAD"])
def demo_css() -> FileResponse:
    return _asset("demo.css", "text/css; charset=utf-8")


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def demo_page(request: Request, lang: str = Query("en", max_length=8)) -> HTMLResponse:
    """The demo page; `?lang=zh` switches the page (and so the widget) to Chinese."""
    page = (WIDGET_DIR / "index.html").read_text(encoding="utf-8")
    page = page.replace('<html lang="en">', f'<html lang="{DEMO_LANGS.get(lang, "en")}">', 1)
    # The embed snippet shows this server's own address (escaped: it comes from the Host header).
    page = page.replace("https://HOST", html.escape(str(request.base_url).rstrip("/")))
    return HTMLResponse(page, headers={"Content-Security-Policy": DEMO_CSP,
                                       "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "same-origin"})
