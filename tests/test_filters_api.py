"""Filters over HTTP: /v1/search and /v1/ask keep to `filter` (and to a key's filter, and a
visitor token's narrower one), results carry the documents' metadata, bad filters are 422."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import jwt
import pytest
from _apps import app_with
from fastapi.testclient import TestClient

from qa.service import open_service
from qa.settings import Settings
from tests.conftest import DATA_DIR

ADMIN = {"Authorization": "Bearer adm-secret"}
TAGS = {"danube": ["public", "europe"], "giant-panda": ["public"], "himalayas": ["internal"]}
QUESTION = "Which river flows through Europe?"


def corpus_of(folder: Path, stems: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        for lang in ("zh", "en"):
            shutil.copy(DATA_DIR / "encyclopedia" / f"{stem}.{lang}.txt", folder)
        if stem in TAGS:
            (folder / f"{stem}.meta.json").write_text(json.dumps({"tags": TAGS[stem], "url": f"https://x.org/{stem}"}))
    return folder


def served(root: Path, encoder, stems: list[str]):
    settings = Settings(
        corpus_dir=corpus_of(root / "corpus", stems),
        index_dir=root / "index",
        auto_build=True,
        long_query_share=1.0,
        reload_poll_seconds=0,
        access_log=False,
    )
    return settings, open_service(settings, progress=False, encoder=encoder)


@pytest.fixture(scope="module")
def site(tmp_path_factory, encoder):
    settings, service = served(
        tmp_path_factory.mktemp("site"), encoder, ["danube", "giant-panda", "himalayas", "venice"]
    )
    app = app_with(settings, service, database_url="", admin_keys=["adm-secret"])
    with TestClient(app) as client:
        yield client, service


def search(client, headers=None, **body):
    return client.post("/v1/search", json={"query": QUESTION, "top_k": 5} | body, headers=headers or {})


def test_hits_keep_to_the_filter_fill_top_k_and_show_metadata(site):
    client, _ = site
    hits = search(client, filter={"tags": ["internal"]}).json()["results"]
    assert len(hits) == 5 and {h["doc_id"] for h in hits} == {"himalayas"}
    assert hits[0]["metadata"] == {"tags": ["internal"], "url": "https://x.org/himalayas"}
    both = search(client, filter={"tags": ["europe", "internal"], "lang": ["en"]}, top_k=20).json()["results"]
    assert {h["doc_id"] for h in both} == {"danube", "himalayas"} and {h["lang"] for h in both} == {"en"}
    unfiltered = search(client).json()["results"]
    assert unfiltered[0]["doc_id"] == "danube"  # the filter above did change what came back
    venice = search(client, filter={"doc_id": ["venice"]}).json()["results"]
    assert venice and all(h["doc_id"] == "venice" and h["metadata"] is None for h in venice)


def test_a_filtered_search_ranks_as_a_search_of_only_those_documents(site, tmp_path, encoder):
    client, _ = site
    _, alone = served(tmp_path, encoder, ["giant-panda", "himalayas"])
    for question in ("Where do giant pandas live?", "How high is Mount Everest?", "喜马拉雅山有多高？"):
        filtered = search(client, query=question, filter={"doc_id": ["giant-panda", "himalayas"]}).json()["results"]
        only = alone.engine.search(question, 5)
        assert [h["passage_id"] for h in filtered][:3] == [h.passage.passage_id for h in only.hits][:3]


def test_ask_keeps_to_the_filter(site):
    client, _ = site
    body = {"question": QUESTION, "filter": {"tags": ["internal"]}}
    answer = client.post("/v1/ask", json=body).json()
    cited = [c["doc_id"] for c in answer["citations"]] + ([answer["answer"]["doc_id"]] if answer.get("answer") else [])
    assert cited and set(cited) == {"himalayas"}


@pytest.mark.parametrize(
    "bad, field",
    [({"colour": ["red"]}, "colour"), ({"tags": "public"}, "tags"), ({"tags": []}, "tags"), ({"tags": [1]}, "tags")],
)
@pytest.mark.parametrize("route", ["/v1/search", "/v1/ask"])
def test_bad_filters_are_422_naming_the_field(site, bad, field, route):
    client, _ = site
    response = client.post(route, json={"query" if route.endswith("search") else "question": QUESTION, "filter": bad})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_filter" and f"'{field}'" in response.json()["error"]["message"]


def make_key(client, doc_filter) -> dict:
    created = client.post("/v1/admin/keys", headers=ADMIN, json={"scopes": ["search", "ask"], "filter": doc_filter})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_key_filter_is_anded_with_the_request_filter(site):
    client, _ = site
    key = {"Authorization": f"Bearer {make_key(client, {'tags': ['public']})['key']}"}
    assert {h["doc_id"] for h in search(client, key, top_k=30).json()["results"]} == {"danube", "giant-panda"}
    assert {h["doc_id"] for h in search(client, key, filter={"doc_id": ["danube"]}).json()["results"]} == {"danube"}
    assert search(client, key, filter={"doc_id": ["himalayas"]}).json()["results"] == []
    assert search(client, key, filter={"tags": ["internal"]}).json()["results"] == []


def test_a_visitor_token_may_narrow_the_key_filter_and_never_widen_it(site):
    client, _ = site
    created = make_key(client, {"tags": ["public"]})

    def token(doc_filter) -> dict:
        claims = {"key_id": created["id"], "exp": int(time.time()) + 60, "filter": doc_filter}
        return {"Authorization": f"Bearer {jwt.encode(claims, created['token_secret'], algorithm='HS256')}"}

    narrowed = search(client, token({"doc_id": ["giant-panda"]}), top_k=30).json()["results"]
    assert narrowed and {h["doc_id"] for h in narrowed} == {"giant-panda"}
    assert {h["doc_id"] for h in search(client, token({"tags": ["public"]}), top_k=30).json()["results"]} == {
        "danube",
        "giant-panda",
    }
    widened = search(client, token({"tags": ["public", "internal"]}))
    assert widened.status_code == 403 and widened.json()["error"]["code"] == "token_widened"
    assert "tags" in widened.json()["error"]["message"]


def test_upload_metadata_becomes_filterable_and_bad_metadata_is_422(tmp_path, encoder):
    settings, service = served(tmp_path, encoder, ["venice"])
    app = app_with(settings, service, database_url="", admin_keys=["adm-secret"])
    text = (DATA_DIR / "encyclopedia" / "violin.en.txt").read_bytes()
    with TestClient(app) as client:
        for bad, field in [("{not json", "metadata"), ('{"tags": [1]}', "tags"), ('["x"]', "metadata")]:
            refused = client.post(
                "/v1/documents", headers=ADMIN, files={"file": ("violin.txt", text)}, data={"metadata": bad}
            )
            assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_metadata"
            assert f"'{field}'" in refused.json()["error"]["message"]
        assert sorted(p.name for p in settings.corpus_dir.iterdir()) == ["venice.en.txt", "venice.zh.txt"]
        accepted = client.post(
            "/v1/documents",
            headers=ADMIN,
            files={"file": ("violin.txt", text)},
            data={"metadata": json.dumps({"tags": ["music"], "title": "Violin"})},
        )
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 300
        while (job := client.get(f"/v1/jobs/{accepted.json()['job_id']}", headers=ADMIN).json())["status"] != "done":
            assert job["status"] != "failed" and time.monotonic() < deadline, job
            time.sleep(0.2)
        assert (settings.corpus_dir / "violin.meta.json").is_file()
        hits = search(client, query="How is a violin played?", filter={"tags": ["music"]}).json()["results"]
        assert hits and {h["doc_id"] for h in hits} == {"violin"}
        assert hits[0]["metadata"] == {"tags": ["music"], "title": "Violin"}


def test_a_key_with_a_filter_lists_only_what_it_keeps(site):
    client, service = site
    spec = {"scopes": ["documents:read"], "filter": {"tags": ["public"]}}
    reader = {"Authorization": f"Bearer {client.post('/v1/admin/keys', headers=ADMIN, json=spec).json()['key']}"}
    assert {d["doc_id"] for d in client.get("/v1/documents", headers=reader).json()} == {"danube", "giant-panda"}
    listed = client.get("/v1/passages", headers=reader, params={"limit": 1000}).json()
    assert listed["total"] == len(listed["items"]) > 0
    assert {p["doc_id"] for p in listed["items"]} == {"danube", "giant-panda"}
    assert client.get("/v1/passages", headers=reader, params={"doc_id": "himalayas"}).status_code == 404
    hidden = service.store.list_passages("himalayas", None, 0, 1)[1][0].passage_id
    assert client.get(f"/v1/passages/{hidden}", headers=reader).status_code == 404
    shown = listed["items"][0]["passage_id"]
    assert client.get(f"/v1/passages/{shown}", headers=reader).json()["metadata"]["tags"][0] == "public"
