"""Bad input gets a clear 4xx in the one error shape, never a 500 or a stack trace."""

from __future__ import annotations

import json
import re

import pytest

SEARCH = "/v1/search"
JSON = {"content-type": "application/json"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_body_over_64_kib_is_413(client):
    big = json.dumps({"query": "碳" * 30_000})  # ~90 KB of UTF-8
    assert_error(client.post(SEARCH, content=big, headers=JSON), 413, "payload_too_large")


def test_body_over_limit_without_content_length_is_413(client):
    def chunks():  # chunked transfer: no Content-Length to trust
        yield b'{"query": "'
        for _ in range(70):
            yield b"a" * 1024
        yield b'"}'

    assert_error(client.post(SEARCH, content=chunks(), headers=JSON), 413, "payload_too_large")


def test_body_just_under_limit_is_read_and_validated(client):
    body = json.dumps({"query": "a" * 60_000})
    error = assert_error(client.post(SEARCH, content=body, headers=JSON), 422)
    assert "1000" in error["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_415(client, content_type):
    response = client.post(SEARCH, content=b'{"query": "carbon"}', headers={"content-type": content_type})
    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]


def test_json_with_charset_is_accepted(client):
    response = client.post(
        SEARCH, content=b'{"query": "carbon"}', headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw", [b"{not json", b'{"query": "carbon"', b"\xff\xfe\x00garbage", b"[1, 2]", b'"just a string"', b"null"]
)
def test_non_json_or_wrong_shape_is_422(client, raw):
    response = client.post(SEARCH, content=raw, headers=JSON)
    assert_error(response, 422)


def test_invalid_json_code(client):
    assert_error(client.post(SEARCH, content=b"{not json", headers=JSON), 422, "invalid_json")
    assert_error(client.post(SEARCH, content=b'{"query": "\xff"}', headers=JSON), 422, "invalid_json")


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"query": "carbon", "k": 3}, "unknown field 'k'"),
        ({"query": 42}, "query"),
        ({"query": "carbon", "top_k": "5"}, "top_k"),
        ({"query": "carbon", "top_k": 0}, "top_k"),
        ({"query": "carbon", "top_k": 51}, "top_k"),
        ({"query": "carbon", "top_k": 2.5}, "top_k"),
        ({"query": "carbon", "lang": "fr"}, "lang"),
        ({"query": "   \t\u3000  "}, "empty"),
        ({"query": "x" * 1001}, "1000"),
        ({}, "'query' is required"),
    ],
)
def test_contract_limits(client, body, fragment):
    error = assert_error(client.post(SEARCH, json=body), 422)
    assert fragment in error["message"]


@pytest.mark.parametrize("raw", [b'{"query": "\\ud800"}', b'{"query": "carbon \\udfff peak"}', b'{"query": "\\ud83d"}'])
def test_lone_surrogates_are_a_clear_422(client, raw):
    error = assert_error(client.post(SEARCH, content=raw, headers=JSON), 422)
    assert "surrogate" in error["message"]


def test_surrogate_in_an_unknown_field_name_is_still_4xx(client):
    response = client.post(SEARCH, content=b'{"query": "carbon", "\\ud800": 1}', headers=JSON)
    assert_error(response, 422)


def test_escaped_surrogate_pair_is_a_real_emoji(client):
    response = client.post(SEARCH, content=b'{"query": "\\ud83c\\udf0d carbon"}', headers=JSON)
    assert response.status_code == 200
    assert response.json()["query"] == "🌍 carbon"


@pytest.mark.parametrize(
    "query",
    [
        "🌍🔥💨",
        "carbon 🌍 neutrality",
        "\x00\x01carbon\x7f",
        "碳\u200b达峰",
        "？？？！！！",
        "...,,,;;;",
        "ＣＯ２排放　ｐｅａｋ",
        "碳中和 carbon neutral 2060",
        "e\u0301",
        "\u202eevil\u202c",
        "٣٤٥ العربية",
    ],
)
def test_unicode_edge_cases_give_results(client, query):
    response = client.post(SEARCH, json={"query": query, "top_k": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query_lang"] in ("zh", "en")
    assert 1 <= len(body["results"]) <= 3


@pytest.mark.parametrize(
    "path",
    [
        "/v1/passages/%ED%A0%80",
        "/v1/passages/%FF%FE",
        "/v1/passages/%00",
        "/v1/passages/" + "x" * 5000,
        "/v1/passages?doc_id=%ED%A0%80",
        "/v1/passages?limit=abc",
        "/v1/passages?offset=-1",
    ],
)
def test_odd_paths_and_parameters_are_4xx(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_unknown_endpoint_and_method(client):
    assert_error(client.get("/v1/nope"), 404, "not_found")
    assert_error(client.delete(SEARCH), 405, "method_not_allowed")


def test_every_response_says_nosniff(client):
    for response in (
        client.get("/healthz"),
        client.post(SEARCH, json={"query": "carbon"}),
        client.post(SEARCH, content=b"x", headers={"content-type": "text/plain"}),
        client.get("/v1/nope"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"


# --- input that is valid but odd ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["\u0000", "\u0000\u0001\u007f", "\u200b\u200d\u2060", "\u202e\u202c", "\u0000\u200b\ufeff"]
)
def test_queries_without_visible_text_are_a_clear_422(client, query):
    for path, field in ((SEARCH, "query"), ("/v1/ask", "question")):
        error = assert_error(client.post(path, json={field: query}), 422)
        assert "visible text" in error["message"]


def test_a_nul_does_not_cut_the_query_short(client):
    plain = client.post(SEARCH, json={"query": "carbon peak", "top_k": 3}).json()
    with_nul = client.post(SEARCH, json={"query": "\u0000carbon\u0000 peak", "top_k": 3}).json()
    assert with_nul["query"] == "\u0000carbon\u0000 peak"
    assert [r["passage_id"] for r in with_nul["results"]] == [r["passage_id"] for r in plain["results"]]


@pytest.mark.parametrize(
    "raw, code, fragment",
    [
        (b'{"query": ' + b"[" * 5000 + b"]" * 5000 + b"}", "json_too_deep", "nested too deeply"),
        (b'{"query": "carbon", "top_k": ' + b"9" * 5000 + b"}", "json_number_too_long", "digits"),
    ],
)
def test_valid_but_unreadable_json_is_named_for_what_it_is(client, raw, code, fragment):
    error = assert_error(client.post(SEARCH, content=raw, headers=JSON), 422, code)
    assert fragment in error["message"] and "not valid JSON" not in error["message"]


@pytest.mark.parametrize(
    "method, path",
    [("POST", "/v1/admin/reload/"), ("POST", "/v1/search/"), ("GET", "/healthz/"), ("GET", "/v1/documents/")],
)
def test_trailing_slash_is_a_404_naming_the_real_path_never_a_redirect(client, method, path):
    response = client.request(method, path, headers={"Host": "evil.example"}, follow_redirects=False)
    error = assert_error(response, 404, "not_found")
    assert "location" not in response.headers
    assert f"without the trailing slash: {path.rstrip('/')}" in error["message"]
    assert "evil.example" not in response.text


@pytest.mark.parametrize(
    "path",
    ["/healthz", "/readyz", "/metrics", "/widget.js", "/widget.css", "/", "/docs", "/openapi.json", "/v1/documents"],
)
def test_head_answers_wherever_get_does(client, path):
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if path != "/metrics":  # the metrics change between two scrapes
        assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["x-request-id"]


def test_head_on_a_post_only_endpoint_is_a_405(client):
    response = client.head(SEARCH)
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_api_docs_load_nothing_from_other_sites(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"|url: *\'([^\']+)\'', page.text)
    urls = [a or b for a, b in urls]
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    script = client.get("/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    assert client.get("/docs/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert (
        client.get("/docs/swagger-ui-bundle.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
    )
    assert_error(client.get("/docs/../../settings.py"), 404)
