"""The Milvus store answers exactly as a plain numpy / bm25s computation on the same index data,
switches versions atomically, and fails fast and recovers when the server goes away.

Runs against the real engine from the pinned milvus-lite wheel (tests/milvus_engine.py).
"""

from __future__ import annotations

import signal

import numpy as np
import pytest

from qa.settings import Settings
from qa.store.base import PassageStore, StoreMissing, StoreStale, StoreUnavailable
from qa.store.local.keyword import KeywordIndex
from qa.text import tokenize
from tests.milvus_engine import index_data, milvus, private_milvus, two_document_corpus  # noqa: F401

# isort: split

from qa.store.milvus import write as milvus_write  # noqa: E402  (after the skip in tests.milvus_engine)
from qa.store.milvus.client import MilvusConnection, collection_set  # noqa: E402
from qa.store.milvus.load import open_milvus_store  # noqa: E402
from qa.store.milvus.write import write_milvus_version  # noqa: E402

QUESTIONS = [
    "碳达峰碳中和是必由之路吗",
    "How is China advancing carbon peaking and neutrality?",
    "绿色低碳发展",
    "policy system for carbon neutrality",
]


def settings_for(uri: str, collection: str = "t", **extra) -> Settings:
    return Settings(
        **{
            "vector_store": "milvus",
            "milvus_uri": uri,
            "milvus_collection": collection,
            "milvus_timeout_seconds": 3,
            **extra,
        }
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory, encoder):
    return index_data(two_document_corpus(tmp_path_factory.mktemp("corpus")), encoder)


@pytest.fixture(scope="module")
def store(milvus, data):  # noqa: F811
    settings = settings_for(milvus.uri)
    write_milvus_version(settings, data)
    return open_milvus_store(settings)


@pytest.fixture(scope="module")
def queries(encoder):
    return encoder.encode_queries(QUESTIONS)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray):
    scores = queries @ vectors.T
    scores[:, ~allowed] = -np.inf
    rows = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, rows, axis=1), rows


def same_ranking(rows: np.ndarray, scores: np.ndarray, want_rows: np.ndarray) -> bool:
    """Equal rows, except that passages with equal scores (a passage and its translation often
    share every matched token) may come in either order."""
    for got, want, score in zip(rows, want_rows, np.round(scores, 4)):
        for value in set(score[:-1].tolist()):  # the last tie group may be cut differently at k
            if set(got[score == value]) != set(want[score == value]):
                return False
    return True


def test_is_a_passage_store_of_the_built_size(store, data):
    assert isinstance(store, PassageStore)
    assert store.size == len(data.passages)


@pytest.mark.parametrize("lang", [None, "zh", "en"])
def test_dense_top_k_is_the_exact_inner_product_top_k(store, data, queries, lang):
    langs = np.array([p.lang for p in data.passages])
    allowed = np.ones(len(langs), bool) if lang is None else langs == lang
    k = 7
    want_scores, want_rows = exact_top_k(data.vectors, queries, k, allowed)
    scores, rows = store.dense_search(queries, k, lang=lang)
    assert rows.shape == scores.shape == (len(QUESTIONS), k)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_dense_search_pads_with_minus_one_past_the_filtered_passages(store, data, queries):
    english = sum(p.lang == "en" for p in data.passages)
    scores, rows = store.dense_search(queries[:1], english + 5, lang="en")
    assert (rows[0, :english] >= 0).all() and (rows[0, english:] == -1).all()


def test_vectors_come_back_in_the_order_asked(store, data):
    rows = [5, 0, 5, len(data.passages) - 1]
    np.testing.assert_allclose(store.vectors(rows), data.vectors[rows], atol=1e-7)


def test_sentences_of_each_passage_are_its_spans_and_vectors(store, data):
    for row in range(len(data.passages)):
        mine = data.sentence_spans[:, 0] == row
        spans, vectors = store.sentences(row)
        np.testing.assert_array_equal(spans, data.sentence_spans[mine, 1:])
        np.testing.assert_allclose(vectors, data.sentence_vectors[mine], atol=1e-7)


def test_sentence_vectors_of_many_rows_at_once(store, data):
    rows = [4, 0, 4, 7]
    vectors, owners = store.sentence_vectors_of(rows)
    want = [data.sentence_vectors[data.sentence_spans[:, 0] == r] for r in rows]
    np.testing.assert_allclose(vectors, np.concatenate(want), atol=1e-7)
    np.testing.assert_array_equal(owners, np.repeat(np.arange(len(rows)), [len(w) for w in want]))
    assert store.sentence_vectors_of([])[0].shape == (0, data.vectors.shape[1])


def test_keyword_top_k_is_the_bm25s_top_k(store, data):
    reference = KeywordIndex.build([p.text for p in data.passages])  # the FAISS path's BM25
    tokenised = [tokenize(q) for q in QUESTIONS] + [["碳", "碳", "carbon"], ["no-such-token"], []]
    scores, rows = store.keyword_search(tokenised, 6)
    want_scores, want_rows = reference.search(tokenised, 6)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)
    assert same_ranking(rows, scores, want_rows)
    assert (rows[-2:] == -1).all(), "unknown and empty queries find nothing"


def test_doc_freq_counts_the_passages_holding_each_token(store, data):
    tokens = sorted({t for toks in data.keyword_tokens for t in toks})[:40] + ["no-such-token"]
    want = [sum(t in set(toks) for toks in data.keyword_tokens) for t in tokens]
    np.testing.assert_array_equal(store.doc_freq(tokens), want)


def test_records_translations_and_languages(store, data):
    for row, passage in enumerate(data.passages):
        assert store.passage(row) == passage
        assert store.row_of(passage.passage_id) == row
        partners = [
            data.passages.index(next(p for p in data.passages if p.passage_id == t.passage_id))
            for t in passage.translations
        ]
        assert store.partner_rows(row) == partners
    assert store.row_of('nope" or row >= 0 or pid == "') is None, "ids are quoted, not spliced"
    rows = np.array([3, 0, 11])
    assert list(store.lang_of(rows)) == [data.passages[r].lang for r in rows]


@pytest.mark.parametrize("doc", [None, 0, 1])
@pytest.mark.parametrize("lang", [None, "zh", "en"])
def test_list_passages_pages_like_a_filtered_list(store, data, doc, lang):
    doc_id = None if doc is None else data.documents[doc].doc_id
    matching = [p for p in data.passages if (doc_id is None or p.doc_id == doc_id) and (lang is None or p.lang == lang)]
    for offset, limit in [(0, 100), (1, 3), (len(matching) - 1, 5), (len(matching) + 2, 5)]:
        total, items = store.list_passages(doc_id, lang, max(offset, 0), limit)
        assert total == len(matching)
        assert items == matching[max(offset, 0) : max(offset, 0) + limit]


def test_unknown_document_lists_nothing(store):
    assert store.list_passages("no-such-doc", None, 0, 10) == (0, [])


def test_documents_and_manifest_live_in_milvus(store, data):
    assert [d["doc_id"] for d in store.documents()] == [d.doc_id for d in data.documents]
    assert store.documents()[0]["passages"] == {
        "zh": data.documents[0].count("zh"),
        "en": data.documents[0].count("en"),
    }
    assert store.manifest["model_id"] == data.manifest["model_id"]
    assert store.manifest["corpus_checksum"] == data.manifest["corpus_checksum"]
    assert store.manifest["passage_count"] == len(data.passages)


def with_version(data, version: str):
    return type(data)(**{**data.__dict__, "manifest": {**data.manifest, "version": version}})


def test_new_builds_switch_the_live_version_and_keep_two(milvus, data):  # noqa: F811
    settings = settings_for(milvus.uri, "versions")
    names = [write_milvus_version(settings, with_version(data, f"v2000010{i}T000000-x")) for i in (1, 2)]
    first_reader = open_milvus_store(settings, version=names[0])
    assert open_milvus_store(settings).version == names[1]
    assert first_reader.passage(0) == data.passages[0], "a replica on the previous version still reads"
    third = write_milvus_version(settings, with_version(data, "v20000103T000000-x"))
    assert open_milvus_store(settings).version == third
    client = MilvusConnection(milvus.uri).client()
    live = set(client.list_collections())
    assert set(collection_set("versions", names[1])) <= live
    assert not set(collection_set("versions", names[0])) & live, "the oldest version is pruned"


def test_a_build_dying_midway_leaves_the_live_version(milvus, data, monkeypatch):  # noqa: F811
    settings = settings_for(milvus.uri, "crash")
    live = write_milvus_version(settings, with_version(data, "v20000201T000000-ok"))
    insert = milvus_write._insert

    def dies_after_passages(client, name, rows, size_of, timeout):
        if name.endswith("_sentences"):
            raise KeyboardInterrupt("killed")
        insert(client, name, rows, size_of, timeout)

    monkeypatch.setattr(milvus_write, "_insert", dies_after_passages)
    with pytest.raises(KeyboardInterrupt):
        write_milvus_version(settings, with_version(data, "v20000202T000000-dies"))
    monkeypatch.setattr(milvus_write, "_insert", insert)
    assert open_milvus_store(settings).version == live
    client = MilvusConnection(milvus.uri).client()
    leftover = collection_set("crash", "v20000202T000000_dies")[0]
    assert leftover in client.list_collections()
    write_milvus_version(settings, with_version(data, "v20000203T000000-next"))
    assert leftover not in client.list_collections(), "the next build sweeps a dead build's collections"


def test_nothing_built_is_missing(milvus):  # noqa: F811
    with pytest.raises(StoreMissing, match="qa build"):
        open_milvus_store(settings_for(milvus.uri, "never_built"))


def test_an_index_written_by_other_rules_is_stale(milvus, data):  # noqa: F811
    old = type(data)(**{**data.__dict__, "manifest": {**data.manifest, "versions": {"format": 0}}})
    settings = settings_for(milvus.uri, "stale")
    write_milvus_version(settings, old)
    with pytest.raises(StoreStale, match="format 0"):
        open_milvus_store(settings)


def test_unreachable_at_start_names_the_uri():
    from qa.store.milvus.engine import free_port

    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable, match=uri.replace(".", r"\.")):
        open_milvus_store(settings_for(uri, milvus_timeout_seconds=1))


def test_milvus_killed_then_back_fails_fast_and_recovers(private_milvus, data, queries):  # noqa: F811
    settings = settings_for(private_milvus.uri)
    write_milvus_version(settings, data)
    store = open_milvus_store(settings)
    before = store.dense_search(queries, 5)
    private_milvus.process.send_signal(signal.SIGKILL)
    private_milvus.process.wait()
    with pytest.raises(StoreUnavailable, match=private_milvus.uri):
        store.dense_search(queries, 5)
    with pytest.raises(StoreUnavailable):
        store.keyword_search([["碳"]], 5)
    private_milvus.start()  # same port, same data file
    after = store.dense_search(queries, 5)  # the same store object: no restart of the service
    np.testing.assert_array_equal(after[1], before[1])
    assert store.sentences(0)[0].shape[0] > 0


def test_the_store_factory_serves_milvus_and_sees_new_versions(milvus, data, tmp_path):  # noqa: F811
    from qa.store.backends import live_version_name, open_store, write_store

    settings = settings_for(milvus.uri, "factory", index_dir=tmp_path / "empty", corpus_dir=tmp_path / "none")
    assert live_version_name(settings) is None
    first = write_store(settings, with_version(data, "v20000301T000000-a"))
    assert live_version_name(settings) == first
    assert open_store(settings, data.manifest["model_id"]).version == first
    with pytest.raises(StoreStale, match="other-model"):
        open_store(settings, "other-model")
    second = write_store(settings, with_version(data, "v20000302T000000-b"))
    assert live_version_name(settings) == second, "what running replicas poll to switch"
    assert not (tmp_path / "empty").exists(), "nothing written locally"
