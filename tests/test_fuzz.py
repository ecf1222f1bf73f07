"""Try to break it: schemathesis against our own OpenAPI schema, hypothesis on the parser and search."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qa.corpus.parse import parse_interleaved
from qa.settings import PROJECT_ROOT

PAPER_LINES = (
    (PROJECT_ROOT / "corpus" / "carbon-neutrality-white-paper-2025.zh-en.txt").read_text(encoding="utf-8").splitlines()
)
# Status codes, headers, content types and bodies must match the schema, and nothing may 5xx.
# (Schema-valid-must-pass / invalid-must-fail are not checked: "1–1000 characters after trimming"
# and StrictInt's refusal of 5.0 have no exact JSON Schema form.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SCHEMATHESIS_EXAMPLES = 40
CASES: Counter = Counter()


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def report_case_count(pytestconfig):
    yield
    if CASES:
        plugins = pytestconfig.pluginmanager
        detail = ", ".join(f"{op} {n}" for op, n in sorted(CASES.items()) if n > 1)
        # Fixture teardown output is captured (and dropped on success) unless capture is paused.
        with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
            plugins.get_plugin("terminalreporter").write_line(
                f"\nschemathesis: {sum(CASES.values())} cases over {len(CASES)} operations ({detail})"
            )


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=SCHEMATHESIS_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    CASES[f"{case.method} {case.path}"] += 1
    case.call_and_validate(checks=CHECKS)


def test_schemathesis_generates_cases_for_every_documented_operation(app, api_schema):
    """Order-independent: the operations schemathesis parametrises are every documented one."""
    documented = {f"{m.upper()} {p}" for p, ops in app.openapi()["paths"].items() for m in ops}
    generated = {f"{r.ok().method.upper()} {r.ok().path}" for r in api_schema.get_all_operations()}
    assert documented and documented <= generated, documented - generated


# --- the parser -----------------------------------------------------------------------------

ZH_LINES = [line for line in PAPER_LINES if re.search(r"[\u4e00-\u9fff]", line)][:60]
EN_LINES = [line for line in PAPER_LINES if line and not re.search(r"[\u4e00-\u9fff]", line)][:60]
HEADINGS = [
    "一、总体要求",
    "I. General Requirements",
    "（二）重点任务",
    "(II) Key Tasks",
    "前言",
    "Preface",
    "• 推进能源转型",
    "• Advance the energy transition",
    "目录",
    "Contents",
]
line_strategy = st.one_of(
    st.sampled_from(ZH_LINES),
    st.sampled_from(EN_LINES),
    st.sampled_from(HEADINGS),
    st.just(""),
    st.text(max_size=80),  # anything at all, surrogates and control characters included
    st.text(alphabet=st.characters(whitelist_categories=("Lo", "Zs", "Po", "Nd")), max_size=40),
)


@pytest.mark.slow
@given(st.lists(line_strategy, max_size=40))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parser_never_crashes_and_keeps_its_invariants(lines):
    document = parse_interleaved("fuzz-doc", "\n".join(lines))
    by_id = {p.passage_id: p for p in document.passages}
    assert len(by_id) == len(document.passages), "passage ids are unique"
    for passage in document.passages:
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", passage.passage_id), "ids are URL-safe"
        assert passage.text.strip()
        for translation in passage.translations:
            partner = by_id[translation.passage_id]
            assert partner.lang != passage.lang and translation.text == partner.text
            assert passage.passage_id in {t.passage_id for t in partner.translations}, "symmetric"
    for alignment in document.alignments:
        assert all(i in by_id for i in alignment.zh + alignment.en)


# --- /v1/search with random Unicode ---------------------------------------------------------

any_unicode = st.text(alphabet=st.characters(codec=None, categories=None), min_size=0, max_size=60)


@pytest.mark.slow
@given(
    query=st.one_of(any_unicode, st.sampled_from(ZH_LINES[:10] + EN_LINES[:10]).map(lambda s: s[:300])),
    top_k=st.integers(1, 50),
    lang=st.sampled_from([None, "zh", "en"]),
)
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
def test_search_with_random_unicode(client, query, top_k, lang):
    # ensure_ascii escapes lone surrogates as \udxxx, exactly what a hostile client can send.
    body = json.dumps({"query": query, "top_k": top_k, "lang": lang}).encode()
    response = client.post("/v1/search", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 422), response.text
    payload = response.json()
    if response.status_code == 422:
        assert payload["error"]["code"] and payload["error"]["message"]
        assert (
            re.search(r"[\ud800-\udfff]", query)
            or not query.strip()
            or len(query.strip()) > 1000
            or not any(unicodedata.category(c)[0] in "LNPS" for c in query)
        )  # nothing visible
        return
    assert payload["query"] == query.strip()
    assert 1 <= len(payload["results"]) <= top_k
    assert [r["rank"] for r in payload["results"]] == list(range(1, len(payload["results"]) + 1))
    assert all(lang is None or r["lang"] == lang for r in payload["results"])
    scores = [r["score"] for r in payload["results"]]
    assert scores == sorted(scores, reverse=True)
