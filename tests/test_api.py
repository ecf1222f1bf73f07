"""The HTTP API as docs/API.md describes it, over the real index of the demo paper."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PAPER

PASSAGE_FIELDS = {"passage_id", "doc_id", "lang", "text", "citation", "translations"}
CITATION_FIELDS = {"doc_title", "section", "paragraph", "label"}
PLEDGE_QUESTION = "When did China pledge to peak emissions before 2030 and reach carbon neutrality before 2060?"


def assert_error_body(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"].replace("_", "").isalpha() and body["error"]["code"].islower()
    assert body["error"]["message"].strip()
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def assert_passage_shape(passage: dict) -> None:
    assert PASSAGE_FIELDS <= set(passage)
    assert passage["doc_id"] == PAPER
    assert passage["lang"] in ("zh", "en")
    assert passage["passage_id"].startswith(f"{PAPER}.{passage['lang']}.")
    assert passage["text"]
    citation = passage["citation"]
    assert CITATION_FIELDS <= set(citation)
    assert isinstance(citation["section"], list) and citation["section"]
    assert citation["label"].endswith(f"¶{citation['paragraph']}")
    assert passage["translations"], "every paragraph of the paper is aligned"
    for tr in passage["translations"]:
        assert {"passage_id", "lang", "text"} <= set(tr)
        assert tr["lang"] != passage["lang"]


def search(client, **body):
    response = client.post("/v1/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


# --- POST /v1/search --------------------------------------------------------------------------


def test_a_chinese_question_finds_cited_passages_in_both_languages(client):
    body = search(client, query="中国什么时候实现碳达峰？", top_k=10)
    assert {"query", "query_lang", "took_ms", "results"} <= set(body)  # new optional fields may follow
    assert body["query"] == "中国什么时候实现碳达峰？"
    assert body["query_lang"] == "zh"
    assert isinstance(body["took_ms"], float) and body["took_ms"] >= 0
    results = body["results"]
    assert len(results) == 10
    assert {r["lang"] for r in results} == {"zh", "en"}
    for result in results:
        assert PASSAGE_FIELDS | {"rank", "score"} <= set(result)
        assert_passage_shape(result)
    # A translation is the full passage it names.
    first = results[0]["translations"][0]
    assert client.get(f"/v1/passages/{first['passage_id']}").json()["text"] == first["text"]


def test_results_are_ranked_best_first_from_one(client):
    results = search(client, query="carbon market trading", top_k=7)["results"]
    assert [r["rank"] for r in results] == list(range(1, 8))
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len({r["passage_id"] for r in results}) == 7


def test_an_english_question_restricted_to_chinese_finds_the_chinese_paragraph(client):
    body = search(client, query=PLEDGE_QUESTION, lang="zh", top_k=5)
    assert body["query_lang"] == "en"
    assert {r["lang"] for r in body["results"]} == {"zh"}
    top3 = [r["text"] for r in body["results"][:3]]
    assert any("2020年9月22日" in text for text in top3), top3


def test_the_language_filter_works_the_other_way_too(client):
    results = search(client, query="全国碳排放权交易市场", lang="en", top_k=5)["results"]
    assert {r["lang"] for r in results} == {"en"}
    assert any("carbon market" in r["text"].lower() or "emissions trading" in r["text"].lower() for r in results)


@pytest.mark.parametrize(
    "body, code",
    [
        ({"query": ""}, None),
        ({"query": "   \n\t "}, None),
        ({"query": "碳" * 1001}, None),
        ({"query": "carbon", "top_k": 0}, None),
        ({"query": "carbon", "top_k": 51}, None),
        ({"query": "carbon", "top_k": 500}, None),
        ({"query": "carbon", "top_k": -1}, None),
        ({"query": "carbon", "top_k": "5"}, None),
        ({"query": "carbon", "top_k": True}, None),
        ({"query": "carbon", "top_k": 2.5}, None),
        ({"query": "carbon", "lang": "fr"}, None),
        ({"query": "carbon", "lang": "ZH"}, None),
        ({"query": "carbon", "langs": "zh"}, "unknown_field"),
        ({"query": 42}, None),
        ({"query": ["carbon"]}, None),
        ({"query": None}, None),
        ({"top_k": 3}, None),
        ([], None),
        ("carbon", None),
    ],
)
def test_bad_search_requests_get_a_4xx_with_the_error_body(client, body, code):
    error = assert_error_body(client.post("/v1/search", json=body), 422, code)
    assert "Traceback" not in error["message"]


def test_the_error_message_says_which_field_to_fix(client):
    assert "top_k" in assert_error_body(client.post("/v1/search", json={"query": "x", "top_k": 0}), 422)["message"]
    assert "langs" in assert_error_body(client.post("/v1/search", json={"query": "x", "langs": 1}), 422)["message"]
    assert "query" in assert_error_body(client.post("/v1/search", json={}), 422)["message"]


@pytest.mark.parametrize("content", [b"not json", b'{"query": "carbon"', b"", b'{"query": "\xff\xfe"}'])
def test_a_body_that_is_not_json_gets_a_4xx_with_the_error_body(client, content):
    response = client.post("/v1/search", content=content, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert_error_body(response, response.status_code)


def test_a_query_of_exactly_1000_characters_after_trimming_is_accepted(client):
    body = search(client, query="  " + "碳" * 1000 + "  ", top_k=1)
    assert len(body["results"]) == 1


# --- passages and documents -------------------------------------------------------------------


def test_a_passage_by_id(client):
    passage = client.get(f"/v1/passages/{PAPER}.zh.0001").json()
    assert_passage_shape(passage)
    assert passage["citation"]["paragraph"] == 1
    assert passage["citation"]["section"] == ["前言"]


@pytest.mark.parametrize("passage_id", [f"{PAPER}.zh.9999", "nope", f"{PAPER}.fr.0001", "%E4%B8%AD"])
def test_an_unknown_passage_id_is_a_404_with_the_error_body(client, passage_id):
    assert_error_body(client.get(f"/v1/passages/{passage_id}"), 404)


def test_passages_page_through_the_whole_corpus(client):
    whole = client.get("/v1/passages", params={"limit": 1000}).json()
    assert set(whole) == {"total", "items"}
    assert whole["total"] == len(whole["items"]) == 175
    pages = []
    for offset in range(0, 175, 50):
        page = client.get("/v1/passages", params={"offset": offset, "limit": 50}).json()
        assert page["total"] == 175
        pages += page["items"]
    assert [p["passage_id"] for p in pages] == [p["passage_id"] for p in whole["items"]]
    beyond = client.get("/v1/passages", params={"offset": 500}).json()
    assert beyond == {"total": 175, "items": []}
    assert len(client.get("/v1/passages").json()["items"]) == 100  # the default limit


def test_passages_filter_by_document_and_language(client):
    english = client.get("/v1/passages", params={"doc_id": PAPER, "lang": "en", "limit": 3}).json()
    assert english["total"] == 88
    assert [p["passage_id"] for p in english["items"]] == [f"{PAPER}.en.000{i}" for i in (1, 2, 3)]
    chinese = client.get("/v1/passages", params={"lang": "zh", "offset": 86}).json()
    assert chinese["total"] == 87
    assert [p["citation"]["paragraph"] for p in chinese["items"]] == [87]


@pytest.mark.parametrize(
    "params, status",
    [
        ({"doc_id": "no-such-doc"}, 404),
        ({"limit": 0}, 422),
        ({"limit": 1001}, 422),
        ({"offset": -1}, 422),
        ({"offset": "ten"}, 422),
        ({"lang": "fr"}, 422),
    ],
)
def test_bad_passage_listings_get_the_error_body(client, params, status):
    assert_error_body(client.get("/v1/passages", params=params), status)


def test_documents_list_titles_and_passage_counts(client):
    assert client.get("/v1/documents").json() == [
        {
            "doc_id": PAPER,
            "title": {
                "zh": "碳达峰碳中和的中国行动",
                "en": "Carbon Peaking and Carbon Neutrality: China’s Plans and Solutions",
            },
            "passages": {"zh": 87, "en": 88},
        }
    ]


# --- health, readiness, OpenAPI ---------------------------------------------------------------


def test_health_and_readiness_of_a_loaded_service(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["passages"] == 175


def test_while_loading_readyz_and_the_api_answer_503_but_healthz_is_up(settings):
    from qa.api.app import create_app
    from qa.service import ServiceHolder

    loading = ServiceHolder(settings)  # never started: the index is "still loading"
    client = TestClient(create_app(settings, loading))  # no `with`: no lifespan, nothing starts
    assert client.get("/healthz").status_code == 200
    assert_error_body(client.get("/readyz"), 503, "not_ready")
    assert_error_body(client.post("/v1/search", json={"query": "carbon"}), 503)
    assert_error_body(client.get("/v1/passages"), 503)


def test_a_failed_load_is_reported_by_readyz(settings):
    from qa.api.app import create_app
    from qa.service import ServiceHolder

    failed = ServiceHolder(settings)
    failed.error = "no index in /nowhere: run `qa build`"
    client = TestClient(create_app(settings, failed))
    error = assert_error_body(client.get("/readyz"), 503, "index_unavailable")
    assert "qa build" in error["message"]


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/v1/search", "post"),
        ("/v1/passages/{passage_id}", "get"),
        ("/v1/passages", "get"),
        ("/v1/documents", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in paths[path], path


def test_unknown_endpoints_and_methods_get_the_error_body(client):
    assert_error_body(client.get("/v1/nothing"), 404)
    assert "use POST" in assert_error_body(client.get("/v1/search"), 405)["message"]
