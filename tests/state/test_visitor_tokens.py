"""Visitor tokens: HS256 JWTs a site's backend signs for one of its stored keys, checked offline."""

from __future__ import annotations

import time

import jwt
import pytest
from _apps import app_with
from fastapi.testclient import TestClient

ADMIN = {"Authorization": "Bearer adm-secret"}
SEARCH = "/v1/search"
QUERY = {"query": "carbon peak", "top_k": 1}


@pytest.fixture
def site(settings, service, tmp_path):
    """A server on private SQLite state, and a stored key for a site (search + ask)."""
    app = app_with(settings, service, index_dir=tmp_path / "index", database_url="", admin_keys=["adm-secret"])
    with TestClient(app) as client:
        created = client.post(
            "/v1/admin/keys", headers=ADMIN, json={"scopes": ["search", "ask", "admin"], "collections": ["default"]}
        ).json()
        yield client, created


def mint(created: dict, lifetime: float = 300, secret: str | None = None, **claims) -> str:
    payload = {"key_id": created["id"], "exp": int(time.time() + lifetime)} | claims
    return jwt.encode(payload, secret or created["token_secret"], algorithm="HS256")


def search_with(client: TestClient, token: str):
    return client.post(SEARCH, json=QUERY, headers={"Authorization": f"Bearer {token}"})


def test_a_minted_token_works_without_the_key(site):
    client, created = site
    assert created["token_secret"] and created["token_secret"] != created["key"]
    assert search_with(client, mint(created)).status_code == 200
    # a visitor never administers, whatever its key may do
    admin = client.get("/v1/admin/keys", headers={"Authorization": f"Bearer {mint(created)}"})
    assert admin.status_code == 403 and admin.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.parametrize(
    "change, status, code",
    [
        ({"lifetime": -60}, 401, "token_expired"),
        ({"secret": "not-the-signing-secret-but-long-enough-for-hs256"}, 401, "invalid_token"),
        ({"scopes": ["search", "documents:write"]}, 403, "token_widened"),
        ({"collections": ["default", "other"]}, 403, "token_widened"),
        ({"filter": {"tags": "public"}}, 401, "invalid_token"),
    ],
)
def test_expired_forged_or_widened_tokens_are_refused(site, change, status, code):
    client, created = site
    response = search_with(client, mint(created, **change))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_a_token_may_narrow_its_key(site):
    client, created = site
    token = mint(created, scopes=["ask"])
    assert search_with(client, token).json()["error"]["code"] == "insufficient_scope"


def test_a_token_for_a_revoked_or_unknown_key_is_refused(site):
    client, created = site
    token = mint(created)
    assert client.delete(f"/v1/admin/keys/{created['id']}", headers=ADMIN).status_code == 200
    assert search_with(client, token).json()["error"]["code"] == "invalid_token"
    stranger = jwt.encode({"key_id": "nope", "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256")
    assert search_with(client, stranger).status_code == 401


def test_replicas_need_a_common_server_secret(settings, service, tmp_path):
    shared = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'shared.db'}"})
    with TestClient(app_with(shared, service, admin_keys=["adm-secret"])) as client:
        created = client.post("/v1/admin/keys", headers=ADMIN, json={"scopes": ["search"]}).json()
        assert created["token_secret"] is None
        refused = search_with(client, mint(created, secret="y" * 32))
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "tokens_disabled"
    with TestClient(app_with(shared, service, admin_keys=["adm-secret"], token_secret="z" * 40)) as client:
        created = client.post("/v1/admin/keys", headers=ADMIN, json={"scopes": ["search"]}).json()
        assert search_with(client, mint(created)).status_code == 200
