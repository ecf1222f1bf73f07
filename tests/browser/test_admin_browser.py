"""The /admin analytics page in real Chromium: sign in with the form, read it in both languages,
no serious axe violation."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ApiServer, run_axe, server_log

pytestmark = pytest.mark.browser

ADMIN_KEY = "browser-admin-key"
BLOCKING = {"serious", "critical"}
ASKED = [
    "中国何时实现碳达峰？",
    "What is the weather in Paris tomorrow?",
    "明天巴黎天气怎么样？",
    "How many electric cars did China export in 2024?",
]


@pytest.fixture(scope="module")
def admin_server(chromium_installed, host_site, settings, service, tmp_path_factory):
    server = ApiServer(
        settings.corpus_dir, settings.index_dir, [host_site.origin], server_log(tmp_path_factory, "admin-server")
    )
    server.env.update(
        QA_ADMIN_KEYS=ADMIN_KEY, QA_DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('admin-state') / 'state.db'}"
    )
    server.start()
    for question in ASKED:
        answer = httpx.post(f"{server.url}/v1/ask", json={"question": question}, timeout=60).json()
    httpx.post(
        f"{server.url}/v1/feedback",
        json={"answer_id": answer["answer_id"], "rating": "down", "reason": "wrong"},
        timeout=30,
    )
    yield server
    server.stop()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_admin_page_signs_in_and_is_accessible(page, admin_server, axe_source, artifacts, lang):
    page.goto(f"{admin_server.url}/admin?lang={lang}")
    login = run_axe(page, axe_source)
    page.locator("#key").fill("not the key")
    page.locator("button[type=submit]").click()
    expect(page.locator(".error")).to_be_visible()
    page.locator("#key").fill(ADMIN_KEY)
    page.locator("button[type=submit]").click()
    expect(page.locator(".cards")).to_be_visible()
    expect(page.locator("svg[role=img]")).to_be_visible()
    expect(page.locator(".gaps li").first).to_be_visible()  # the unanswered questions, grouped
    expect(page.get_by_text(ASKED[-1]).first).to_be_visible()  # rated down, listed
    page.screenshot(path=artifacts / f"admin-{lang}.png", full_page=True)
    dashboard = run_axe(page, axe_source)
    blocking = [v for v in login + dashboard if v["impact"] in BLOCKING]
    assert blocking == [], blocking
    page.get_by_role("button", name="Sign out" if lang == "en" else "退出").click()
    expect(page.locator("#key")).to_be_visible()
