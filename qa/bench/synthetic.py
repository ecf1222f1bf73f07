"""Synthetic embeddings for the scale run: a mixture of low-rank Gaussian clusters on the sphere.

Uniform random vectors are a poor stand-in for embeddings: in 384 dimensions every pair is
nearly orthogonal, so "nearest neighbours" are noise and ANN recall means little. Real
passage embeddings form topical clusters with a low intrinsic dimension, so each synthetic
vector is  center + spread·(a point in the cluster's own low-rank subspace) + a little
isotropic noise,  normalised. Queries are fresh draws from the same mixture.
"""

from __future__ import annotations

import bm25s
import numpy as np

from qa.store.local.keyword import KeywordIndex

POINTS_PER_CLUSTER = 500


class ClusteredMixture:
    def __init__(
        self, dim: int, clusters: int, rank: int = 32, spread: float = 0.6, noise: float = 0.25, seed: int = 0
    ) -> None:
        if clusters < 1 or rank < 1:
            raise ValueError("clusters and rank must be ≥ 1")
        rng = np.random.default_rng(seed)
        self.dim, self.rank, self.spread, self.noise = dim, rank, spread, noise
        self.centers = _normalise(rng.standard_normal((clusters, dim), dtype=np.float32))
        # One random subspace per cluster; rows scaled so a standard draw has norm ≈ 1.
        self.bases = rng.standard_normal((clusters, rank, dim), dtype=np.float32) / np.sqrt(rank * dim)

    @classmethod
    def for_size(cls, n: int, dim: int, seed: int = 0) -> ClusteredMixture:
        """About POINTS_PER_CLUSTER vectors per cluster, like topics in a growing corpus."""
        return cls(dim, max(1, n // POINTS_PER_CLUSTER), seed=seed)

    def sample(self, n: int, seed: int = 1) -> np.ndarray:
        """n normalised float32 vectors of shape (n, dim), rows in random cluster order."""
        rng = np.random.default_rng(seed)
        labels = rng.integers(len(self.centers), size=n)
        out = np.empty((n, self.dim), dtype=np.float32)
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(len(self.centers) + 1))
        for c in range(len(self.centers)):
            rows = order[bounds[c] : bounds[c + 1]]
            if not len(rows):
                continue
            coeffs = rng.standard_normal((len(rows), self.rank), dtype=np.float32)
            jitter = rng.standard_normal((len(rows), self.dim), dtype=np.float32) / np.sqrt(self.dim)
            out[rows] = self.centers[c] + self.spread * (coeffs @ self.bases[c]) + self.noise * jitter
        return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def synthetic_keyword_index(n: int, vocabulary: int = 50_000, length: int = 30, stop_ranks: int = 100, seed: int = 0):
    """A KeywordIndex over `n` synthetic passages of `length` Zipf-distributed tokens.

    Word frequencies in text follow Zipf's law; the `stop_ranks` most frequent words are the
    stop words the tokenizer drops, so the commonest indexed token is in a few % of the
    passages (the long postings) and most are rare. The BM25 matrix (bm25s "lucene"
    weights, k1=1.5, b=0.75) is assembled with numpy: indexing a million token lists through
    bm25s' Python tokenizer path would take minutes and gigabytes.
    Returns (index, sample_query_tokens) where each query is 5 draws from the same law.
    """
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(stop_ranks + 1, stop_ranks + vocabulary + 1) ** 1.07
    cdf = np.cumsum(weights / weights.sum())

    def draw(shape) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(shape)), vocabulary - 1)

    tokens = draw((n, length))
    pairs, tf = np.unique(
        np.repeat(np.arange(n, dtype=np.int64), length) * vocabulary + tokens.ravel(), return_counts=True
    )
    docs, terms = pairs // vocabulary, pairs % vocabulary
    doc_len = np.full(n, length, dtype=np.float64)  # every passage has `length` tokens
    df = np.bincount(terms, minlength=vocabulary)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    k1, b = 1.5, 0.75
    data = idf[terms] * tf / (tf + k1 * (1 - b + b * doc_len[docs] / doc_len.mean()))
    order = np.argsort(terms, kind="stable")  # column-major (by token), rows ascending
    retriever = bm25s.BM25()
    retriever.scores = {
        "data": data[order].astype(np.float32),
        "indices": docs[order].astype(np.int32),
        "indptr": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
        "num_docs": n,
    }
    retriever.vocab_dict = {f"t{i}": i for i in range(vocabulary)}
    retriever.nonoccurrence_array = None  # set by BM25.index() for the lucene method
    queries = [[f"t{i}" for i in row] for row in draw((200, 5))]
    return KeywordIndex(retriever, n), queries
