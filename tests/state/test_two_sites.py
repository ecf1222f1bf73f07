"""Two sites on one server, a widget key for each: every route a widget key can call answers from
its own collection only — search, ask (JSON and streamed), passages, documents — and naming the
other collection, or none (which means `default`), is a 403."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _sse import STREAM, events
from _two_sites import DEFAULT_ARTICLE, Site, one_article_app, open_sites, questions_about
from fastapi.testclient import TestClient

ADMIN = {"Authorization": "Bearer adm-secret"}
ORIGINS = ["https://site-a.example", "https://site-b.example"]


@pytest.fixture(scope="module")
def sites(settings, encoder, tmp_path_factory) -> Iterator[tuple[TestClient, list[Site]]]:
    """One app: `default` holds a third article; site-a and site-b one article each."""
    root = tmp_path_factory.mktemp("two-sites")
    mine, app = one_article_app(settings, encoder, root, "adm-secret")
    with TestClient(app) as client:
        yield client, open_sites(client, ADMIN, mine.index_dir, ORIGINS)


@pytest.fixture(params=[0, 1], ids=["site-a", "site-b"])
def pair(request, sites) -> tuple[TestClient, Site, Site]:
    """(client, this site, the other site)."""
    client, both = sites
    return client, both[request.param], both[1 - request.param]


def cited_ids(body: object) -> tuple[set[str], set[str]]:
    """Every `doc_id` and `passage_id` anywhere in a JSON body (results, citations, translations,
    answers, passage lists), so a passage of another collection cannot hide in a nested field."""
    docs: set[str] = set()
    passages: set[str] = set()
    if isinstance(body, dict):
        docs.update(v for k, v in body.items() if k == "doc_id" and isinstance(v, str))
        passages.update(v for k, v in body.items() if k == "passage_id" and isinstance(v, str))
        children = list(body.values())
    else:
        children = list(body) if isinstance(body, list) else []
    for child in children:
        more_docs, more_passages = cited_ids(child)
        docs |= more_docs
        passages |= more_passages
    return docs, passages


def assert_only_from(site: Site, body: object) -> None:
    docs, passages = cited_ids(body)
    assert docs <= {site.doc_id}, docs
    assert all(p.startswith(f"{site.doc_id}.") for p in passages), passages


def a_passage_of(client: TestClient, site: Site) -> str:
    """A real passage id of `site`'s collection, read with its own key."""
    listed = client.get("/v1/passages", params={"collection": site.collection, "limit": 1}, headers=site.headers())
    return listed.json()["items"][0]["passage_id"]


def asked_questions(site: Site, other: Site) -> list[dict]:
    """Its own first English and Chinese question, and the other site's."""
    picked = []
    for owner in (site, other):
        questions = questions_about(owner.doc_id)
        picked += [next(q for q in questions if q["lang"] == lang) | {"owner": owner} for lang in ("en", "zh")]
    return picked


def test_search_and_ask_answer_only_from_the_keys_collection(pair):
    client, site, other = pair
    mine = site.headers()
    for question in asked_questions(site, other):
        body = {"collection": site.collection}
        found = client.post("/v1/search", json=body | {"query": question["question"], "top_k": 10}, headers=mine)
        assert found.status_code == 200, found.text
        assert found.json()["results"], "its own collection always has passages to offer"
        assert_only_from(site, found.json())

        asked = client.post("/v1/ask", json=body | {"question": question["question"]}, headers=mine)
        assert asked.status_code == 200, asked.text
        answer = asked.json()
        assert_only_from(site, answer)
        if question["owner"] is site:  # its gold paragraph is among what it cites
            gold = question["gold"][0][question["lang"]]
            assert any(gold in c["text"] for c in answer["citations"]), (question, answer)
        else:  # never "stated" from a collection that does not hold the answer
            assert answer["support"] != "stated" and answer["answer"] is None, (question, answer)

        with client.stream(
            "POST", "/v1/ask", json=body | {"question": question["question"]}, headers=mine | STREAM
        ) as streamed:
            assert streamed.status_code == 200
            got = events(streamed)
        names = [name for name, _ in got if name != "comment"]
        assert names == ["passages", "answer", "done"], names
        for _, data in got:
            assert_only_from(site, data)


def test_passages_and_documents_list_only_the_keys_collection(pair):
    client, site, other = pair
    mine = site.headers()
    mine_only = {"collection": site.collection}
    documents = client.get("/v1/documents", params=mine_only, headers=mine)
    assert [d["doc_id"] for d in documents.json()] == [site.doc_id]
    listed = client.get("/v1/passages", params=mine_only | {"limit": 1000}, headers=mine).json()
    assert listed["total"] == len(listed["items"]) == 10  # the article's 5 zh + 5 en paragraphs
    assert_only_from(site, listed)
    one = client.get(f"/v1/passages/{listed['items'][0]['passage_id']}", params=mine_only, headers=mine)
    assert one.status_code == 200 and one.json()["doc_id"] == site.doc_id
    # The other site's ids name nothing here.
    foreign = a_passage_of(client, other)
    assert client.get(f"/v1/passages/{foreign}", params=mine_only, headers=mine).status_code == 404
    by_doc = client.get("/v1/passages", params=mine_only | {"doc_id": other.doc_id}, headers=mine)
    assert by_doc.status_code == 404 and by_doc.json()["error"]["code"] == "document_not_found"
    names = [c["name"] for c in client.get("/v1/collections", headers=mine).json()["collections"]]
    assert names == [site.collection]


@pytest.mark.parametrize("where", ["other", "default", "omitted"])
def test_another_collection_is_forbidden_by_name(pair, where):
    """The other site's collection, `default`, or no collection at all (documented: `default`)."""
    client, site, other = pair
    mine = site.headers()
    named = {"other": other.collection, "default": "default", "omitted": None}[where]
    choice = {"collection": named} if named else {}
    question = questions_about(other.doc_id)[0]["question"]
    doc_id = other.doc_id if where == "other" else DEFAULT_ARTICLE
    refused = [
        client.post("/v1/search", json=choice | {"query": question}, headers=mine),
        client.post("/v1/ask", json=choice | {"question": question}, headers=mine),
        client.post("/v1/ask", json=choice | {"question": question}, headers=mine | STREAM),
        client.get("/v1/passages", params=choice, headers=mine),
        client.get(f"/v1/passages/{a_passage_of(client, other)}", params=choice, headers=mine),
        client.get("/v1/documents", params=choice, headers=mine),
        client.get(f"/v1/documents/{doc_id}", params=choice, headers=mine),
    ]
    for response in refused:
        assert response.status_code == 403, (response.request.url, response.text)
        error = response.json()["error"]
        assert error["code"] == "collection_forbidden"
        assert f"'{named or 'default'}'" in error["message"], error


def test_a_site_key_works_only_from_its_own_page(pair):
    client, site, other = pair
    from_other_page = {"X-API-Key": site.key, "Origin": other.origin}
    response = client.post("/v1/search", json={"query": "x", "collection": site.collection}, headers=from_other_page)
    assert response.status_code == 403 and response.json()["error"]["code"] == "origin_not_allowed"


MCP_CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_documents", "arguments": {}}}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/mcp", MCP_CALL),
        (
            "POST",
            "/v1/chat/completions",
            {"model": "qa", "messages": [{"role": "user", "content": "小提琴有几根弦？"}]},
        ),
        ("GET", "/v1/models", None),
    ],
    ids=["mcp", "chat", "models"],
)
def test_routes_that_serve_only_default_refuse_a_site_key(pair, method, path, body):
    """/mcp and the OpenAI-compatible routes read `default` only: a site key must not read it there."""
    client, site, _ = pair
    headers = site.headers() | {"Accept": "application/json, text/event-stream"}
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "collection_forbidden" and DEFAULT_ARTICLE not in response.text
