"""Filters in the Milvus store: a boolean expression on `doc_id`, `lang` and the JSON `meta`
field, applied by the engine before top-k; results equal the exact top-k among the kept rows
and the local store's filtered BM25 (tests/milvus_engine.py starts the real engine)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.store.filters import DocFilter
from qa.store.local.keyword import KeywordIndex
from qa.text import tokenize
from tests.milvus_engine import index_data, milvus, two_document_corpus  # noqa: F401

# isort: split

from qa.store.milvus.filter_expr import filter_expr  # noqa: E402
from qa.store.milvus.load import open_milvus_store  # noqa: E402
from qa.store.milvus.write import write_milvus_version  # noqa: E402
from tests.store.test_milvus import QUESTIONS, exact_top_k, same_ranking, settings_for  # noqa: E402

META = {"first": {"tags": ["public", "intro"], "edition": "2025"}, "second": {"tags": ["internal"]}}


@pytest.fixture(scope="module")
def data(tmp_path_factory, encoder):
    data = index_data(two_document_corpus(tmp_path_factory.mktemp("corpus")), encoder)
    for document in data.documents:
        document.metadata = META[document.doc_id]
        for passage in document.passages:
            passage.metadata = document.metadata
    return data


@pytest.fixture(scope="module")
def store(milvus, data):  # noqa: F811
    settings = settings_for(milvus.uri, collection="filters")
    write_milvus_version(settings, data)
    return open_milvus_store(settings)


@pytest.fixture(scope="module")
def queries(encoder):
    return encoder.encode_queries(QUESTIONS)


FILTERS = [
    {"doc_id": ["second"]},
    {"tags": ["intro"]},  # any element of a list field
    {"tags": ["internal", "intro"], "lang": ["en"]},  # values OR, fields AND
    {"edition": ["2025"], "tags": ["internal"]},  # nothing
]


def kept(data, mapping) -> np.ndarray:
    doc_filter = DocFilter.of(mapping)
    return np.array([doc_filter.matches(p) for p in data.passages])


@pytest.mark.parametrize("mapping", FILTERS)
def test_dense_search_is_the_exact_top_k_among_the_kept_rows(store, data, queries, mapping):
    allowed = kept(data, mapping)
    k = 6
    scores, rows = store.dense_search(queries, k, doc_filter=DocFilter.of(mapping))
    want_scores, want_rows = exact_top_k(data.vectors, queries, k, allowed)
    found = min(k, int(allowed.sum()))
    np.testing.assert_array_equal(rows[:, :found], want_rows[:, :found])
    np.testing.assert_allclose(scores[:, :found], want_scores[:, :found], atol=1e-5)
    assert (rows[:, found:] == -1).all()


@pytest.mark.parametrize("mapping", FILTERS)
def test_keyword_search_is_the_whole_index_bm25_among_the_kept_rows(store, data, mapping):
    reference = KeywordIndex.build([p.text for p in data.passages])
    tokenised = [tokenize(q) for q in QUESTIONS]
    scores, rows = store.keyword_search(tokenised, 5, DocFilter.of(mapping))
    want_scores, want_rows = reference.search(tokenised, 5, kept(data, mapping))
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)
    assert same_ranking(rows, scores, want_rows)


def test_documents_carry_their_metadata(store):
    assert {d["doc_id"]: d["metadata"] for d in store.documents()} == META


def test_filter_expressions_quote_values_and_refuse_odd_field_names():
    expr = filter_expr(DocFilter.of({"doc_id": ['a"b'], "tags": ["x"]}), lang="zh")
    assert expr == 'lang == "zh" and doc_id in ["a\\"b"] and json_contains_any(meta["tags"], ["x"])'
    with pytest.raises(ValueError):
        filter_expr(DocFilter.of({'x"]) or (1': ["y"]}))
