"""Feedback and the question log through the HTTP API, on the session's real index."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from qa.analytics.identity import Signer
from qa.state.analytics import AskRecord, Feedback
from tests._apps import app_with

ANSWERABLE = [
    "中国何时实现碳达峰？",
    "When did China launch its national carbon market?",
    "全国碳排放权交易市场是哪一年启动的？",
    "What share of China's energy comes from non-fossil fuels?",
]
OFF_TOPIC = [
    "明天巴黎天气怎么样？",
    "How do I reset my wifi router?",
    "Who won the football world cup?",
    "怎么包饺子？",
]


def _wait_for_analytics(app, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while app.state.analytics is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.state.analytics is not None, "analytics did not open"
    return app.state.analytics


ADMIN_KEY = "admin-key-for-analytics-tests"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def logged(settings, service, tmp_path):
    app = app_with(settings, service, database_url=f"sqlite:///{tmp_path / 'state.db'}", admin_keys=[ADMIN_KEY])
    with TestClient(app) as client:
        analytics = _wait_for_analytics(app)
        yield client, analytics


def _ask(client, question: str, **headers) -> dict:
    response = client.post("/v1/ask", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_ask_is_logged_and_counted_exactly(logged):
    client, analytics = logged
    asked = [_ask(client, q) for q in (ANSWERABLE + OFF_TOPIC) * 5]  # 40 asks
    ids = [a["answer_id"] for a in asked]
    assert len(set(ids)) == len(ids) and all(ids)
    for answer in asked[:6]:
        assert client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up"}).status_code == 201
    for answer in asked[6:9]:
        down = {"answer_id": answer["answer_id"], "rating": "down", "reason": "wrong", "comment": "不对"}
        assert client.post("/v1/feedback", json=down).status_code == 201
    analytics.recorder.flush()
    summary = client.get("/v1/admin/analytics/summary", headers=ADMIN).json()
    totals = summary["totals"]
    assert totals["asks"] == 40
    assert totals["up"] == 6 and totals["down"] == 3
    assert totals["stated"] + totals["related"] + totals["none"] == 40
    assert totals["stated"] == sum(
        1 for a in asked if a.get("support", "stated" if a["answerable"] else "none") == "stated"
    )
    assert sum(day["asks"] for day in summary["days"]) == 40
    assert set(summary["languages"]) == {"zh", "en"}
    assert summary["latency_p50_ms"] > 0


def test_csv_export_round_trips(logged):
    client, analytics = logged
    asked = [_ask(client, q) for q in ["碳市场覆盖了哪些行业？", 'A "quoted", comma question?']]
    analytics.recorder.flush()
    exported = client.get("/v1/admin/analytics/questions", params={"format": "csv"}, headers=ADMIN)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["question"] for r in rows] == [a["question"] for a in reversed(asked)]
    assert [r["answer_id"] for r in rows] == [a["answer_id"] for a in reversed(asked)]
    as_json = client.get("/v1/admin/analytics/questions", headers=ADMIN).json()
    assert as_json["total"] == 2 and as_json["items"][0]["question"] == asked[-1]["question"]


def test_one_rating_per_visitor_and_answer(logged):
    client, analytics = logged
    answer = _ask(client, ANSWERABLE[0])
    first = client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up"})
    second = client.post(
        "/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "down", "reason": "outdated"}
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["replaced"] is True
    with analytics.state.session() as session:
        rows = list(session.scalars(select(Feedback).where(Feedback.answer_id == answer["answer_id"])))
    assert [(r.rating, r.reason) for r in rows] == [("down", "outdated")]


def test_feedback_on_unknown_forged_or_expired_answers_is_404(logged):
    client, analytics = logged
    answer_id = _ask(client, ANSWERABLE[1])["answer_id"]
    forged = answer_id[:-1] + ("0" if answer_id[-1] != "0" else "1")
    expired = analytics.signer.new_answer_id(now=time.time() - 91 * 86400)
    foreign = Signer("another server's secret").new_answer_id()
    for bad in (forged, expired, foreign, "ans_nothing"):
        response = client.post("/v1/feedback", json={"answer_id": bad, "rating": "up"})
        assert response.status_code == 404, bad
        assert response.json()["error"]["code"] == "answer_not_found"
    bad_reason = client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "down", "reason": "meh"})
    assert bad_reason.status_code == 422
    long_comment = client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "x" * 1001})
    assert long_comment.status_code == 422


def test_opted_out_visitors_leave_no_record_but_can_rate(logged):
    client, analytics = logged
    answer = _ask(client, ANSWERABLE[2], **{"X-QA-Analytics": "off"})
    assert answer["answer_id"]
    assert client.post("/v1/feedback", json={"answer_id": answer["answer_id"], "rating": "up"}).status_code == 201
    analytics.recorder.flush()
    with analytics.state.session() as session:
        assert session.scalars(select(AskRecord)).first() is None


def test_log_holds_no_address_and_visitors_rotate_daily(logged):
    client, analytics = logged
    _ask(client, ANSWERABLE[0])
    analytics.recorder.flush()
    with analytics.state.session() as session:
        record = session.scalars(select(AskRecord)).one()
    assert "testclient" not in record.visitor and "ip:" not in record.visitor
    today = datetime.now(UTC)
    signer = analytics.signer
    assert signer.visitor("ip:1.2.3.4", today) != signer.visitor("ip:1.2.3.4", today + timedelta(days=1))
    assert signer.visitor("ip:1.2.3.4", today) == signer.visitor("ip:1.2.3.4", today)


def test_retention_purge_deletes_only_old_records(logged, old_ask):
    client, analytics = logged
    _ask(client, ANSWERABLE[0])
    analytics.recorder.flush()
    old = old_ask(120)
    with analytics.state.session() as session:
        session.add(AskRecord(**asdict(old)))
        session.add(Feedback(answer_id=old.answer_id, visitor="v", rating="down", at=old.at))
    purged = client.post("/v1/admin/analytics/purge", headers=ADMIN).json()
    assert purged["deleted"] == {"asks": 1, "ratings": 1}
    with analytics.state.session() as session:
        assert [r.question for r in session.scalars(select(AskRecord))] == [ANSWERABLE[0]]


def test_a_failing_database_costs_log_lines_not_asks(logged, monkeypatch):
    client, analytics = logged

    def broken():
        raise ConnectionError("database is down")

    monkeypatch.setattr(analytics.recorder.state, "session", broken)
    before = analytics.recorder.dropped
    for question in ANSWERABLE:
        assert client.post("/v1/ask", json={"question": question}).status_code == 200
    analytics.recorder.flush()
    assert analytics.recorder.dropped - before == len(ANSWERABLE)


def test_the_analytics_need_an_admin_key(logged):
    client, _ = logged
    for path in ("summary", "questions", "gaps"):
        refused = client.get(f"/v1/admin/analytics/{path}")
        assert refused.status_code == 401, path
    assert client.post("/v1/admin/analytics/purge").status_code == 401
    assert client.get("/v1/admin/analytics/summary", headers={"Authorization": "Bearer wrong"}).status_code == 401
