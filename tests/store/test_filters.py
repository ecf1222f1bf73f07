"""Filters inside the local store: semantics (values OR, fields AND, list fields match any
element), and a filter keeping 1 % of passages still returns full top-k, equal to a search of
an index built from only those documents (dense) and to the whole index's BM25 masked (keyword)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.corpus.models import Citation, Document, Passage
from qa.store.base import IndexData
from qa.store.filtered import FilteredStore
from qa.store.filters import DocFilter, FilterError, check_filter, filterable_fields, widening_field
from qa.store.format import component_versions
from qa.store.local.load import load_index
from qa.store.local.write import write_local_version

DOCS, PER_DOC, DIM, K = 100, 10, 32, 5
WORDS = [f"w{i}" for i in range(60)]


def synthetic(doc_ids: list[int], seed: int = 7) -> IndexData:
    """A deterministic corpus: doc d has PER_DOC passages (alternating zh/en), tags by d."""
    rng = np.random.default_rng(seed)
    all_vectors = rng.normal(size=(DOCS * PER_DOC, DIM)).astype(np.float32)
    all_vectors /= np.linalg.norm(all_vectors, axis=1, keepdims=True)
    all_tokens = [list(rng.choice(WORDS, size=8)) for _ in range(DOCS * PER_DOC)]
    passages, documents, rows = [], [], []
    for d in doc_ids:
        meta = {"tags": ["public", f"t{d % 3}"] if d % 2 else ["internal"], "edition": str(d % 5)}
        mine = [
            Passage(
                passage_id=f"d{d}-{i}",
                doc_id=f"d{d}",
                lang="zh" if i % 2 else "en",
                text=" ".join(all_tokens[d * PER_DOC + i]),
                citation=Citation(doc_title=f"D{d}", paragraph=i + 1, label=f"D{d} ¶{i + 1}"),
                metadata=meta,
            )
            for i in range(PER_DOC)
        ]
        passages += mine
        rows += [d * PER_DOC + i for i in range(PER_DOC)]
        documents.append(
            Document(
                doc_id=f"d{d}",
                title={"zh": "", "en": ""},
                source="x",
                format="monolingual",
                passages=mine,
                metadata=meta,
            )
        )
    return IndexData(
        passages=passages,
        documents=documents,
        vectors=all_vectors[rows],
        sentence_spans=np.zeros((0, 3), np.int32),
        sentence_vectors=np.zeros((0, DIM), np.float32),
        keyword_tokens=[all_tokens[r] for r in rows],
        manifest={
            "versions": component_versions(),
            "version": f"v-{len(doc_ids)}",
            "model_id": "synthetic",
            "dimension": DIM,
            "passage_count": len(passages),
        },
    )


def open_store(tmp_path, name: str, doc_ids: list[int]):
    folder = write_local_version(tmp_path / name, synthetic(doc_ids))
    return load_index(tmp_path / name, folder=folder)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    return open_store(tmp_path_factory.mktemp("whole"), "all", list(range(DOCS)))


@pytest.fixture(scope="module")
def queries():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(6, DIM)).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def ids(store, rows) -> list[list[str]]:
    return [[store.passage(int(r)).passage_id for r in line if r >= 0] for line in rows]


def test_values_or_fields_and_list_fields_match_any_element(whole):
    def docs(mapping) -> set[str]:
        return {p.doc_id for p in whole.passages if whole.row_mask(DocFilter.of(mapping))[whole.row_of(p.passage_id)]}

    assert docs({"doc_id": ["d1", "d2"]}) == {"d1", "d2"}  # values: OR
    assert docs({"tags": ["t1"]}) == {f"d{d}" for d in range(DOCS) if d % 2 and d % 3 == 1}  # any element
    assert docs({"tags": ["public"], "edition": ["0"]}) == {f"d{d}" for d in range(DOCS) if d % 2 and d % 5 == 0}
    assert docs({"tags": ["internal"], "doc_id": ["d1"]}) == set()  # fields: AND
    lang = whole.row_mask(DocFilter.of({"lang": ["zh"], "doc_id": ["d3"]}))
    assert {whole.passages[r].passage_id for r in np.flatnonzero(lang)} == {f"d3-{i}" for i in range(1, PER_DOC, 2)}
    # a key's and a request's clause on one list field both hold (not their intersection)
    both = DocFilter.of({"tags": ["t0", "t1"]}) & DocFilter.of({"tags": ["t1", "t2"]})
    assert {p.doc_id for p in whole.passages if both.matches(p)} == docs({"tags": ["t1"]})


def test_a_one_percent_filter_returns_full_top_k_as_an_index_of_only_those_documents(whole, queries, tmp_path):
    kept = [3, 77]  # 20 of 1000 passages: 2 %, the dense search and BM25 both get only these
    only = open_store(tmp_path, "only", kept)
    view = FilteredStore(whole, DocFilter.of({"doc_id": [f"d{d}" for d in kept]}))
    scores, rows = view.dense_search(queries, K)
    want_scores, want_rows = only.dense_search(queries, K)
    assert (rows >= 0).all() and ids(whole, rows) == ids(only, want_rows)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)
    one = FilteredStore(whole, DocFilter.of({"doc_id": ["d3"], "lang": ["en"]}))  # 5 passages: 0.5 %
    assert (one.dense_search(queries, K)[1] >= 0).all()


def test_keyword_search_ranks_the_filtered_passages_by_the_whole_index_bm25(whole):
    doc_filter = DocFilter.of({"tags": ["t2"], "edition": ["1"]})
    mask = whole.row_mask(doc_filter)
    assert 0 < mask.mean() <= 0.05
    for tokens in (["w1", "w2"], ["w5"], ["w7", "w7", "w30"]):
        scores, rows = whole.keyword_search([tokens], K, doc_filter)
        every = np.asarray(whole.keyword.retriever.get_scores(tokens), dtype=np.float32)
        every[~mask] = 0
        want = np.sort(every[every > 0])[::-1][:K]  # the best K masked scores (ties in any order)
        got = rows[0][rows[0] >= 0]
        assert len(got) == len(want) and mask[got].all()
        np.testing.assert_allclose(scores[0][: len(got)], want, rtol=1e-5)
        np.testing.assert_allclose(every[got], want, rtol=1e-5)


def test_a_wide_filter_searches_the_faiss_index_with_a_selector(whole, queries):
    doc_filter = DocFilter.of({"tags": ["public"]})  # half the rows: searched inside FAISS
    mask = whole.row_mask(doc_filter)
    _, rows = whole.dense_search(queries, K, doc_filter=doc_filter)
    exact = queries @ np.asarray(whole.vectors_matrix).T
    exact[:, ~mask] = -np.inf
    assert rows.tolist() == np.argsort(-exact, axis=1, kind="stable")[:, :K].tolist()


def test_partners_outside_the_filter_are_not_offered(whole):
    view = FilteredStore(whole, DocFilter.of({"lang": ["en"]}))
    assert view.partner_rows(0) == []  # no translations in this corpus; the view keeps it so


def test_checking_a_request_filter():
    fields = filterable_fields([{"doc_id": "a", "metadata": {"tags": ["x"]}}])
    assert fields == {"doc_id", "lang", "tags"}
    assert check_filter({"tags": ["x"], "doc_id": ["a"]}, fields) == DocFilter.of({"tags": ["x"], "doc_id": ["a"]})
    for bad, field in [
        ({"colour": ["red"]}, "colour"),
        ({"tags": "x"}, "tags"),
        ({"tags": []}, "tags"),
        ({"tags": [1]}, "tags"),
        (["tags"], "filter"),
    ]:
        with pytest.raises(FilterError) as caught:
            check_filter(bad, fields)
        assert caught.value.field == field


def test_a_token_filter_may_narrow_and_never_widen():
    key = {"tags": ("public", "news")}
    assert widening_field({"tags": ["public"]}, key) is None
    assert widening_field({"doc_id": ["a"]}, key) is None  # a field the key leaves open: narrower
    assert widening_field({"tags": ["public", "internal"]}, key) == "tags"
    assert widening_field({"tags": ["internal"]}, None) is None
