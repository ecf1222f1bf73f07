"""The widget's routes without a browser: content types, a CSP-clean demo page, and CORS."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from _apps import app_with
from fastapi.testclient import TestClient
from pydantic import ValidationError

from qa.api.routes.widget import WIDGET_DIR
from qa.settings import Settings

PARTNER = "https://partner.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


@pytest.fixture(scope="module")
def partner_client(settings, service):
    with TestClient(app_with(settings, service, cors_origins=[PARTNER])) as client:
        yield client


class PageAudit(HTMLParser):
    """What a strict CSP (no inline script or style) would refuse to run on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.inline: list[str] = []
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "style":
            self.inline.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}={value!r}")
            if name in ("src", "href") and value:
                self.urls.append(value)

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"inline script {data.strip()[:40]!r}")


def test_widget_script_and_styles_have_their_content_types(client):
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert 'customElements.define("qa-chat"' in script.text
    css = client.get("/widget.css", headers={"Origin": "https://anyone.example"})
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["access-control-allow-origin"] == "*"  # widget.js fetches it from any site
    assert client.head("/widget.js").status_code == 200


def test_widget_never_parses_text_as_html():
    source = (WIDGET_DIR / "widget.js").read_text(encoding="utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "DOMParser",
        "createContextualFragment",
    ):
        assert sink not in source, f"widget.js uses {sink}: insert server and user text as text"


def test_demo_page_runs_under_a_strict_csp(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    audit = PageAudit()
    audit.feed(page.text)
    assert audit.inline == []
    assert [s.get("src") for s in audit.scripts] == ["/widget.js"]
    assert all(url.startswith("/") or url.startswith("data:") for url in audit.urls), audit.urls
    for url in {u for u in audit.urls if u.endswith((".css", ".js"))}:
        assert client.get(url).status_code == 200, url
    # The embed snippet on the page names this server.
    assert 'src="http://testserver/widget.js" data-api="http://testserver"' in page.text


def test_demo_page_language_and_host_escaping(client):
    assert '<html lang="zh-CN">' in client.get("/?lang=zh").text
    assert '<html lang="en">' in client.get("/?lang=xx").text
    hostile = client.get("/", headers={"Host": 'evil"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in hostile


def test_preflight_allowed_for_a_configured_origin(partner_client):
    response = partner_client.options("/v1/ask", headers={"Origin": PARTNER, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PARTNER
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize("origin", ["https://evil.example", "http://partner.example", "null"])
def test_preflight_refused_for_other_origins(partner_client, origin):
    response = partner_client.options("/v1/ask", headers={"Origin": origin, **PREFLIGHT})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    error = response.json()["error"]
    assert error["code"] == "cors_refused" and "QA_CORS_ORIGINS" in error["message"]


def test_cross_origin_answers_are_readable_only_by_configured_origins(partner_client):
    body = {"query": "碳达峰", "top_k": 1}
    allowed = partner_client.post("/v1/search", json=body, headers={"Origin": PARTNER})
    assert allowed.headers["access-control-allow-origin"] == PARTNER
    assert "retry-after" in allowed.headers["access-control-expose-headers"].lower()
    other = partner_client.post("/v1/search", json=body, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_default_is_same_origin_only(client):
    response = client.options("/v1/ask", headers={"Origin": PARTNER, **PREFLIGHT})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_cors_origins_setting_accepts_lists_and_refuses_non_origins(monkeypatch):
    monkeypatch.setenv("QA_CORS_ORIGINS", "https://a.example, http://127.0.0.1:8080/")
    assert Settings().cors_origins == ["https://a.example", "http://127.0.0.1:8080"]
    monkeypatch.setenv("QA_CORS_ORIGINS", '["https://b.example"]')
    assert Settings().cors_origins == ["https://b.example"]
    monkeypatch.setenv("QA_CORS_ORIGINS", "")
    assert Settings().cors_origins == []
    for bad in ("partner.example", "https://a.example/path"):
        monkeypatch.setenv("QA_CORS_ORIGINS", bad)
        with pytest.raises(ValidationError, match=re.escape(repr(bad))):
            Settings()
