"""Stored keys over HTTP: create, use, limit, expire, revoke — on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from _apps import app_with
from fastapi.testclient import TestClient

from qa.state import open_state
from qa.state.keys import create_key

ADMIN = {"Authorization": "Bearer adm-secret"}
SEARCH = "/v1/search"
QUERY = {"query": "carbon peak", "top_k": 1}
KEYS = "/v1/admin/keys"


def keyed_app(state_settings, service, **changes):
    return app_with(state_settings, service, admin_keys=["adm-secret"], **changes)


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_create_use_list_revoke(state_settings, service):
    with TestClient(keyed_app(state_settings, service)) as client:
        assert client.post(SEARCH, json=QUERY).status_code == 200  # no reading key yet: open
        created = client.post(
            KEYS, headers=ADMIN, json={"name": "site A", "scopes": ["search"], "collections": ["default"]}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        secret, key_id = body["key"], body["id"]
        assert secret.startswith("qa_") and body["scopes"] == ["search"] and body["collections"] == ["default"]
        # a key that can read now exists: the API is closed to anonymous callers
        assert client.post(SEARCH, json=QUERY).status_code == 401
        assert client.post(SEARCH, json=QUERY, headers=bearer(secret)).status_code == 200
        assert client.post(SEARCH, json=QUERY, headers={"X-API-Key": secret}).status_code == 200
        refused = client.post("/v1/ask", json={"question": "carbon peak"}, headers=bearer(secret))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
        assert client.get("/v1/documents", headers=bearer(secret)).status_code == 403
        assert client.get(KEYS, headers=bearer(secret)).status_code == 403  # not an admin key
        listed = client.get(KEYS, headers=ADMIN).json()["keys"]
        assert [k["id"] for k in listed] == [key_id]
        assert secret not in str(listed) and "key" not in listed[0]
        revoked = client.delete(f"{KEYS}/{key_id}", headers=ADMIN)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        gone = client.post(SEARCH, json=QUERY, headers=bearer(secret))
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "invalid_api_key"
        assert client.get(KEYS, headers=ADMIN).json()["keys"] == []
        assert client.delete(f"{KEYS}/{key_id}x", headers=ADMIN).json()["error"]["code"] == "key_not_found"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"scopes": ["search", "fly"]}, "invalid_request"),
        ({"scopes": []}, "invalid_request"),
        ({"scopes": ["search"], "origins": ["https://a.example/path"]}, "invalid_request"),
        ({"scopes": ["search"], "expires_at": "2001-01-01T00:00:00Z"}, "invalid_request"),
        ({"scopes": ["search"], "expires_at": "2999-01-01T00:00:00"}, "invalid_request"),  # no zone
        ({"scopes": ["search"], "collections": ["../etc"]}, "invalid_request"),
        ({"scopes": ["search"], "rate_per_minute": 0}, "invalid_request"),
        ({"scopes": ["search"], "filter": {"tags": []}}, "invalid_request"),
        ({"scopes": ["search"], "filter": {"tags[0]": ["public"]}}, "invalid_request"),
        ({"scopes": ["search"], "collections": ["nowhere"]}, "collection_not_found"),
    ],
)
def test_bad_key_specs_are_refused_and_nothing_is_stored(state_settings, service, body, code):
    with TestClient(keyed_app(state_settings, service)) as client:
        response = client.post(KEYS, headers=ADMIN, json=body)
        assert response.status_code in (404, 422) and response.json()["error"]["code"] == code
        assert client.get(KEYS, headers=ADMIN).json()["keys"] == []


def test_an_expired_key_is_refused(state_settings, service):
    store = open_state(state_settings)
    with store.session() as session:
        past = create_key(session, scopes=["search"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with TestClient(keyed_app(state_settings, service)) as client:
        assert client.post(SEARCH, json=QUERY, headers=bearer(past.secret)).status_code == 401


def test_a_key_has_its_own_rate(state_settings, service):
    with TestClient(keyed_app(state_settings, service)) as client:
        secret = client.post(KEYS, headers=ADMIN, json={"scopes": ["search"], "rate_per_minute": 6}).json()["key"]
        assert client.post(SEARCH, json=QUERY, headers=bearer(secret)).status_code == 200
        limited = client.post(SEARCH, json=QUERY, headers=bearer(secret))
        assert limited.status_code == 429 and "this key's own limit" in limited.json()["error"]["message"]
        assert int(limited.headers["retry-after"]) >= 1


def test_a_widget_key_works_only_from_its_origins_and_gets_cors(state_settings, service):
    with TestClient(keyed_app(state_settings, service)) as client:
        secret = client.post(
            KEYS, headers=ADMIN, json={"scopes": ["search", "ask"], "origins": ["https://site-b.example"]}
        ).json()["key"]
        page = {"X-API-Key": secret, "Origin": "https://site-b.example"}
        ok = client.post(SEARCH, json=QUERY, headers=page)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://site-b.example"
        preflight = client.options(
            SEARCH,
            headers={
                "Origin": "https://site-b.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert preflight.status_code == 200
        for origin in ("https://evil.example", None):
            headers = {"X-API-Key": secret} | ({"Origin": origin} if origin else {})
            refused = client.post(SEARCH, json=QUERY, headers=headers)
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "origin_not_allowed"


def test_two_replicas_share_keys_and_a_revoke(state_settings, service):
    """Two apps (own snapshots, as two `qa serve` processes) on one database."""
    cache = 0.2
    first = TestClient(keyed_app(state_settings, service, key_cache_seconds=cache))
    second = TestClient(keyed_app(state_settings, service, key_cache_seconds=cache))
    with first, second:
        created = first.post(KEYS, headers=ADMIN, json={"scopes": ["search"]}).json()
        time.sleep(cache * 1.5)  # the second replica's snapshot is now older than its cache age
        assert second.post(SEARCH, json=QUERY, headers=bearer(created["key"])).status_code == 200
        assert first.delete(f"{KEYS}/{created['id']}", headers=ADMIN).status_code == 200
        assert first.post(SEARCH, json=QUERY, headers=bearer(created["key"])).status_code == 401  # at once
        time.sleep(cache * 1.5)
        assert second.post(SEARCH, json=QUERY, headers=bearer(created["key"])).status_code == 401


def test_a_key_has_its_own_token_budget(state_settings, service):
    app = keyed_app(state_settings, service, max_query_tokens=16)  # a bucket of 16 tokens
    with TestClient(app) as client:
        secret = client.post(KEYS, headers=ADMIN, json={"scopes": ["search"], "tokens_per_minute": 6}).json()["key"]
        codes = [client.post(SEARCH, json=QUERY, headers=bearer(secret)) for _ in range(8)]
        statuses = [r.status_code for r in codes]
        assert statuses[0] == 200 and 429 in statuses, statuses
        spent = codes[statuses.index(429)]
        assert (
            spent.json()["error"]["code"] == "token_budget_exceeded" and "this key" in spent.json()["error"]["message"]
        )


def test_a_filtered_request_is_never_answered_unfiltered(state_settings, service):
    with TestClient(keyed_app(state_settings, service)) as client:
        refused = client.post(SEARCH, json=QUERY | {"filter": {"colour": ["x"]}})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "bad_filter"
        assert "colour" in refused.json()["error"]["message"]
        assert client.post(SEARCH, json=QUERY | {"filter": {"doc_id": ["x"]}}).json()["results"] == []
        assert client.post(SEARCH, json=QUERY | {"filter": None}).json()["results"]
