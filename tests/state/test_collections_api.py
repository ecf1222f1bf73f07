"""Collections over HTTP: each its own documents and index; a key never sees outside its own."""

from __future__ import annotations

import shutil

import pytest
from _apps import app_with
from fastapi.testclient import TestClient

from qa.store.collections import collection_root

ADMIN = {"Authorization": "Bearer adm-secret"}


@pytest.fixture
def two(settings, service, tmp_path, tiny_corpus):
    """A server whose `default` is the paper, plus a collection `site-b` holding one tiny document."""
    app = app_with(settings, service, index_dir=tmp_path / "index", database_url="", admin_keys=["adm-secret"])
    with TestClient(app) as client:
        created = client.post("/v1/collections", headers=ADMIN, json={"name": "site-b", "title": "Site B"})
        assert created.status_code == 201, created.text
        assert created.json()["index_version"] is None and created.json()["documents"] == 0
        corpus = collection_root(app.state.settings, "site-b") / "corpus"
        shutil.copy(tiny_corpus / "tiny.zh-en.txt", corpus)
        yield client


def docs_of(response) -> set[str]:
    return {hit["doc_id"] for hit in response.json()["results"]}


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_each_collection_answers_from_its_own_documents(two):
    query = {"query": "碳达峰碳中和", "top_k": 5}
    site_b = two.post("/v1/search", json=query | {"collection": "site-b"})
    assert site_b.status_code == 200 and docs_of(site_b) == {"tiny"}
    default = two.post("/v1/search", json=query)
    assert default.status_code == 200 and "tiny" not in docs_of(default)
    listed = {c["name"]: c for c in two.get("/v1/collections").json()["collections"]}
    assert set(listed) == {"default", "site-b"}
    assert listed["site-b"]["documents"] == 1 and listed["site-b"]["passages"] == {"zh": 4, "en": 4}
    assert [d["doc_id"] for d in two.get("/v1/documents", params={"collection": "site-b"}).json()] == ["tiny"]


def test_a_key_never_sees_outside_its_collections(two):
    key = two.post(
        "/v1/admin/keys", headers=ADMIN, json={"scopes": ["search", "ask", "documents:read"], "collections": ["site-b"]}
    ).json()["key"]
    mine = bearer(key)
    assert two.post("/v1/search", json={"query": "碳达峰", "collection": "site-b"}, headers=mine).status_code == 200
    passage = two.get("/v1/passages", params={"collection": "site-b", "limit": 1}, headers=mine).json()["items"][0]
    default_passage = two.get("/v1/passages", params={"limit": 1}, headers=ADMIN)  # admin: no documents:read
    assert default_passage.status_code == 403
    for response in (
        two.post("/v1/search", json={"query": "碳达峰"}, headers=mine),
        two.post("/v1/ask", json={"question": "碳达峰是什么？"}, headers=mine),
        two.get("/v1/documents", headers=mine),
        two.get("/v1/passages", headers=mine),
        two.get(f"/v1/passages/{passage['passage_id']}", headers=mine),  # default's id space
        two.get("/v1/documents/tiny", headers=mine),
    ):
        assert response.status_code == 403, response.request.url
        assert response.json()["error"]["code"] == "collection_forbidden"
    assert [c["name"] for c in two.get("/v1/collections", headers=mine).json()["collections"]] == ["site-b"]


def test_bad_names_unknown_collections_and_deletes(two):
    for name in ("../x", "a/b", "Site", "", "x" * 64):
        response = two.post("/v1/collections", headers=ADMIN, json={"name": name})
        assert response.status_code == 422, name
    assert (
        two.post("/v1/collections", headers=ADMIN, json={"name": "site-b"}).json()["error"]["code"]
        == "collection_exists"
    )
    assert (
        two.post("/v1/search", json={"query": "x", "collection": "nowhere"}).json()["error"]["code"]
        == "collection_not_found"
    )
    assert two.post("/v1/search", json={"query": "x", "collection": "../x"}).status_code == 422
    assert two.get("/v1/documents", params={"collection": "nowhere"}).status_code == 404
    assert two.post("/v1/collections", json={"name": "site-c"}).status_code == 401  # admin only
    assert two.delete("/v1/collections/default", headers=ADMIN).status_code == 409
    assert two.delete("/v1/collections/nowhere", headers=ADMIN).status_code == 404
    root = collection_root(two.app.state.settings, "site-b")
    assert two.delete("/v1/collections/site-b", headers=ADMIN).status_code == 204
    assert not root.exists()
    assert two.post("/v1/search", json={"query": "x", "collection": "site-b"}).status_code == 404
    assert two.delete("/v1/collections/default", headers=ADMIN).json()["error"]["code"] == "last_collection"
