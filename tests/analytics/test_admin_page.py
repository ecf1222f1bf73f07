"""The /admin page over HTTP: sign-in form and cookie, the dashboard, CSV export, both languages."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests._apps import app_with
from tests.analytics.test_feedback_api import _wait_for_analytics

ADMIN_KEY = "admin-key-for-tests"


@pytest.fixture
def admin_client(settings, service, tmp_path):
    app = app_with(settings, service, database_url=f"sqlite:///{tmp_path / 'state.db'}", admin_keys=[ADMIN_KEY])
    with TestClient(app) as client:
        yield client, _wait_for_analytics(app)


def test_sign_in_sets_a_session_cookie_for_admin_only(admin_client):
    client, _ = admin_client
    page = client.get("/admin?lang=en")
    assert page.status_code == 200 and 'type="password"' in page.text and "Questions" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    wrong = client.post("/admin/login?lang=en", data={"key": "nope"}, follow_redirects=False)
    assert wrong.status_code == 401 and "not an admin key" in wrong.text
    right = client.post("/admin/login?lang=zh", data={"key": ADMIN_KEY}, follow_redirects=False)
    assert right.status_code == 303
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/admin" in cookie and "samesite=strict" in cookie.lower()
    dashboard = client.get("/admin?lang=zh")
    assert "提问" in dashboard.text and "文档缺少的内容" in dashboard.text
    client.post("/admin/logout", follow_redirects=False)
    client.cookies.clear()
    assert 'type="password"' in client.get("/admin").text


def test_dashboard_and_export_show_what_was_asked(admin_client):
    client, analytics = admin_client
    for question in ["明天巴黎天气怎么样？", "What is the weather in Paris tomorrow?", "中国何时实现碳达峰？"] * 2:
        answer = client.post("/v1/ask", json={"question": question}).json()
    client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "down", "reason": "wrong"})
    analytics.recorder.flush()
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    dashboard = client.get("/admin?lang=en", headers=auth).text
    assert "What the documents are missing" in dashboard and "Paris" in dashboard
    assert "中国何时实现碳达峰？" in dashboard  # rated down, and a starter candidate (asked twice, answered)
    exported = client.get("/admin/questions.csv", headers=auth)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 6 and rows[0]["question"] == "中国何时实现碳达峰？"
    assert client.get("/admin/questions.csv").status_code == 401
