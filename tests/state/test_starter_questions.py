"""Starter questions of a collection: set by an admin, listed for the widget."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests._apps import app_with

ADMIN = {"Authorization": "Bearer starter-admin"}


def test_starter_questions_are_set_and_listed(settings, service, tmp_path):
    app = app_with(settings, service, database_url=f"sqlite:///{tmp_path / 'state.db'}", admin_keys=["starter-admin"])
    with TestClient(app) as client:
        starters = {"zh": ["中国何时实现碳达峰？"], "en": ["What is the 1+N policy framework?"]}
        changed = client.patch("/v1/collections/default", json={"starter_questions": starters}, headers=ADMIN)
        assert changed.status_code == 200, changed.text
        assert changed.json()["starter_questions"] == starters
        listed = {c["name"]: c for c in client.get("/v1/collections").json()["collections"]}
        assert listed["default"]["starter_questions"] == starters
        created = client.post(
            "/v1/collections", json={"name": "site-b", "starter_questions": {"en": ["Hello?"]}}, headers=ADMIN
        )
        assert created.status_code == 201 and created.json()["starter_questions"] == {"zh": [], "en": ["Hello?"]}
        assert client.patch("/v1/collections/default", json={"starter_questions": starters}).status_code == 401
        too_many = {"zh": [f"问题{i}？" for i in range(11)]}
        assert (
            client.patch("/v1/collections/default", json={"starter_questions": too_many}, headers=ADMIN).status_code
            == 422
        )
        assert client.patch("/v1/collections/nope", json={"title": "x"}, headers=ADMIN).status_code == 404
