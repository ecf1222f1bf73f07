"""Keyword top-k: the same passages and scores as ranking bm25s' full score vector."""

from __future__ import annotations

import numpy as np
import pytest

from qa.bench.synthetic import synthetic_keyword_index
from qa.store.local.keyword import KeywordIndex
from qa.text import tokenize

TEXTS = [
    "全国碳市场覆盖全国60%以上的碳排放量。",
    "China launched its national carbon emissions trading market in July 2021.",
    "The carbon market covers more than 60% of carbon emissions.",
    "水电装机容量达到4.4亿千瓦。",
    "Hydropower capacity reached 440 GW; carbon capture pilots continue.",
    "",
]


def full_ranking(index: KeywordIndex, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The obvious way: score every passage, sort, keep positive scores."""
    known = [t for t in tokens if t in index.retriever.vocab_dict]
    if not known:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    scores = np.asarray(index.retriever.get_scores(known), dtype=np.float32)
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]
    order = order[scores[order] > 0]
    return scores[order], order


@pytest.mark.parametrize(
    "query", ["carbon market 60%", "碳市场 carbon", "hydropower 水电", "carbon carbon", "nothing known here"]
)
def test_top_k_matches_the_full_ranking_on_real_text(query):
    index = KeywordIndex.build(TEXTS)
    tokens = tokenize(query)
    scores, rows = index.search([tokens], k=3)
    expected_scores, expected_rows = full_ranking(index, tokens, 3)
    found = rows[0] >= 0
    assert rows[0][found].tolist() == expected_rows.tolist()
    assert np.allclose(scores[0][found], expected_scores, rtol=1e-5)
    assert (scores[0][~found] == 0).all()


def test_top_k_matches_the_full_ranking_on_many_passages():
    index, queries = synthetic_keyword_index(5000, vocabulary=2000, length=12, seed=1)
    for tokens in queries[:40]:
        scores, rows = index.search([tokens], k=10)
        expected_scores, _ = full_ranking(index, tokens, 10)
        # The k best scores (near-ties may swap places: float sums in another order) ...
        assert np.allclose(scores[0][: len(expected_scores)], expected_scores, rtol=1e-5)
        # ... each belonging to the passage returned with it, none twice.
        full = np.asarray(index.retriever.get_scores(tokens), dtype=np.float32)
        assert np.allclose(full[rows[0]], scores[0], rtol=1e-5)
        assert len(set(rows[0].tolist())) == len(rows[0])


def test_doc_freq_counts_passages_and_ignores_unknown_tokens():
    index = KeywordIndex.build(TEXTS)
    carbon, market = tokenize("carbon market")
    assert index.doc_freq([carbon, "no-such-token", market]).tolist() == [3, 0, 2]
    assert index.doc_freq([]).tolist() == []
