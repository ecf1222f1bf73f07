"""GET /admin: the analytics page for a site's team (admin key as a bearer header, or signed in
through its form, which sets a short-lived session cookie for /admin only).

The page's own routes check the key or the cookie themselves: they are public to the gate so
that a browser holding only the cookie reaches them, and they answer the sign-in form instead
of a 401.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import Headers

from qa.analytics.reports import QuestionFilter, gaps, questions, summary, to_csv
from qa.analytics.service import Analytics
from qa.api.admin_page import dashboard_page, login_page
from qa.api.analytics import get_analytics
from qa.api.deps import get_service
from qa.api.middleware.keys import KeyRing, presented_key
from qa.api.policy import RoutePolicy, declare
from qa.api.present import nearest_passage
from qa.service import Service

router = APIRouter(tags=["admin page"], include_in_schema=False)
COOKIE = "qa_admin"
SESSION_SECONDS = 3600
STARTERS_PER_LANGUAGE = 5
CSS = Path(__file__).resolve().parents[1] / "admin.css"
PAGE_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
Lang = Literal["zh", "en"]


def _lang(request: Request, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return lang
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


def _is_admin_key(request: Request, key: str | None) -> bool:
    return key is not None and KeyRing(request.app.state.settings.admin_keys).matches(key)


def _signed_in(request: Request, analytics: Analytics) -> bool:
    return _is_admin_key(request, presented_key(Headers(scope=request.scope))) or analytics.signer.session_valid(
        request.cookies.get(COOKIE)
    )


def _html(page: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        page, status_code=status, headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"}
    )


def _starters(session, days: int) -> dict[str, list[str]]:
    """The answered questions asked most often, per language: candidates for starter questions."""
    _, items = questions(session, QuestionFilter(days=days, support="stated", limit=10_000))
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        by_lang = counts.setdefault(item["lang"], {})
        by_lang[item["question"]] = by_lang.get(item["question"], 0) + 1
    return {
        lang: [q for q, n in sorted(qs.items(), key=lambda kv: -kv[1]) if n >= 2][:STARTERS_PER_LANGUAGE]
        for lang, qs in sorted(counts.items())
    }


@router.get("/admin", response_class=HTMLResponse)
@declare(RoutePolicy())
def admin_page(
    request: Request,
    lang: Lang | None = None,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
    analytics: Analytics = Depends(get_analytics),
    service: Service = Depends(get_service),
) -> HTMLResponse:
    language = _lang(request, lang)
    if not _signed_in(request, analytics):
        return _html(login_page(language))

    def nearest(passage_id: str) -> dict | None:
        return nearest_passage(service.store, passage_id)

    with analytics.state.session() as session:
        totals = summary(session, days)
        groups = gaps(session, analytics.question_vectors, analytics.grouping.min_similarity, nearest, days, limit=10)
        _, rated_down = questions(session, QuestionFilter(days=days, rating="down", limit=50))
        starters = _starters(session, days)
    return _html(dashboard_page(language, days, totals, groups, rated_down, starters))


@router.post("/admin/login")
@declare(RoutePolicy(form=True))
def sign_in(
    request: Request,
    key: Annotated[str, Form(max_length=500)],
    lang: Lang | None = None,
    analytics: Analytics = Depends(get_analytics),
) -> Response:
    language = _lang(request, lang)
    if not _is_admin_key(request, key.strip()):
        return _html(login_page(language, failed=True), status=401)
    response = RedirectResponse(f"/admin?lang={language}", status_code=303)
    response.set_cookie(
        COOKIE,
        analytics.signer.session_token(SESSION_SECONDS),
        max_age=SESSION_SECONDS,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/admin/logout")
@declare(RoutePolicy(form=True))
def sign_out() -> Response:
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(COOKIE, path="/admin")
    return response


@router.get("/admin/questions.csv")
@declare(RoutePolicy())
def export_csv(
    request: Request,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
    rating: Literal["up", "down"] | None = None,
    analytics: Analytics = Depends(get_analytics),
) -> Response:
    if not _signed_in(request, analytics):
        return _html(login_page(_lang(request, None)), status=401)
    with analytics.state.session() as session:
        _, items = questions(session, QuestionFilter(days=days, rating=rating, limit=1_000_000))
    return PlainTextResponse(
        to_csv(items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="questions.csv"'},
    )


@router.get("/admin.css")
@declare(RoutePolicy())
def admin_css() -> Response:
    return Response(
        CSS.read_text(encoding="utf-8"),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )
