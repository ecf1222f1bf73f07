"""Scale run: exact (flat) vs HNSW search over synthetic clustered embeddings.

For each size: build time, resident memory added by the index, single-query latency, and
HNSW recall@10 against the exact answer. A flat-latency sweep over growing prefixes of the
largest set shows where exact search stops being cheap next to encoding the query.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Sequence

import faiss
import numpy as np

from qa.bench.stats import latency_summary, proc_memory_mb, recall_at_k
from qa.bench.synthetic import ClusteredMixture, synthetic_keyword_index
from qa.store.local.vectors import build_faiss

log = logging.getLogger(__name__)

K = 10
SWEEP_SIZES = (10_000, 25_000, 50_000, 100_000, 200_000, 400_000, 1_000_000)


def single_query_latency(index: faiss.Index, queries: np.ndarray, k: int = K) -> dict:
    """One query per call, as the service searches."""
    seconds = []
    for row in range(len(queries)):
        started = time.perf_counter()
        index.search(queries[row : row + 1], k)
        seconds.append(time.perf_counter() - started)
    return latency_summary(seconds)


def _timed_build(vectors: np.ndarray, kind: str) -> tuple[faiss.Index, float, float]:
    gc.collect()
    before = proc_memory_mb()["rss_mb"]
    started = time.perf_counter()
    index = build_faiss(vectors, kind)
    seconds = time.perf_counter() - started
    return index, round(seconds, 2), round(proc_memory_mb()["rss_mb"] - before, 1)


def flat_sweep(vectors: np.ndarray, queries: np.ndarray, sizes: Sequence[int] = SWEEP_SIZES) -> list[dict]:
    """Flat single-query p50 over prefixes of `vectors`: exact search cost grows linearly."""
    rows = []
    for size in sizes:
        if size > len(vectors):
            break
        index = build_faiss(vectors[:size], "flat")
        rows.append({"vectors": size, **single_query_latency(index, queries)})
        del index
    return rows


def run_size(n: int, dim: int, queries: int = 200, seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    """Flat vs HNSW at one size; returns the row plus the vectors and queries for a sweep."""
    mixture = ClusteredMixture.for_size(n, dim, seed=seed)
    started = time.perf_counter()
    vectors = mixture.sample(n, seed=seed + 1)
    query_vectors = mixture.sample(queries, seed=seed + 2)
    row: dict = {
        "vectors": n,
        "dim": dim,
        "clusters": len(mixture.centers),
        "generate_s": round(time.perf_counter() - started, 2),
    }
    log.info("scale %d: generated in %.1f s", n, row["generate_s"])

    flat, row["flat_build_s"], row["flat_memory_mb"] = _timed_build(vectors, "flat")
    row["flat_latency"] = single_query_latency(flat, query_vectors)
    _, truth = flat.search(query_vectors, K)
    del flat
    log.info("scale %d: flat p50 %.2f ms", n, row["flat_latency"]["p50_ms"])

    hnsw, row["hnsw_build_s"], row["hnsw_memory_mb"] = _timed_build(vectors, "hnsw")
    row["hnsw_latency"] = single_query_latency(hnsw, query_vectors)
    _, found = hnsw.search(query_vectors, K)
    row["hnsw_recall@10"] = round(recall_at_k(found, truth, K), 4)
    del hnsw
    log.info(
        "scale %d: hnsw built in %.0f s, p50 %.2f ms, recall@10 %.4f",
        n,
        row["hnsw_build_s"],
        row["hnsw_latency"]["p50_ms"],
        row["hnsw_recall@10"],
    )
    return row, vectors, query_vectors


def recommend_threshold(sweep: Sequence[dict], budget_ms: float) -> int | None:
    """Size (rounded down to 1,000) at which exact search reaches `budget_ms`.

    Flat search is a linear scan, so p50 ≈ slope × size; the slope is a least-squares fit
    through the origin over the sweep. None when there is nothing to fit.
    """
    sizes = np.array([row["vectors"] for row in sweep], dtype=float)
    p50 = np.array([row["p50_ms"] for row in sweep], dtype=float)
    if not len(sizes) or (slope := float(sizes @ p50 / (sizes @ sizes))) <= 0:
        return None
    return int(budget_ms / slope) // 1000 * 1000


def run_scale(sizes: Sequence[int], dim: int, budget_ms: float, queries: int = 200) -> dict:
    rows = []
    sweep: list[dict] = []
    for n in sorted(sizes):
        row, vectors, query_vectors = run_size(n, dim, queries)
        rows.append(row)
        if n == max(sizes):
            sweep = flat_sweep(vectors, query_vectors[:100])
        del vectors
        gc.collect()
    return {
        "sizes": rows,
        "flat_sweep": sweep,
        "budget_ms": round(budget_ms, 2),
        "recommended_threshold": recommend_threshold(sweep, budget_ms),
        "peak_rss_mb": proc_memory_mb()["peak_rss_mb"],
    }


def run_keyword_scale(sizes: Sequence[int], k: int = 100, queries: int = 200) -> list[dict]:
    """KeywordIndex.search top-k latency over synthetic Zipf passages (one query a call)."""
    rows = []
    for n in sorted(sizes):
        started = time.perf_counter()
        index, sample = synthetic_keyword_index(n)
        build_s = round(time.perf_counter() - started, 2)
        sample = sample[:queries]
        index.search(sample[:3], k)  # first-touch of the postings
        seconds = []
        for tokens in sample:
            started = time.perf_counter()
            index.search([tokens], k)
            seconds.append(time.perf_counter() - started)
        indptr = index.retriever.scores["indptr"]
        vocab = index.retriever.vocab_dict
        postings = [sum(int(indptr[vocab[t] + 1] - indptr[vocab[t]]) for t in tokens) for tokens in sample]
        rows.append(
            {
                "passages": n,
                "k": k,
                "build_s": build_s,
                **latency_summary(seconds),
                "max_ms": round(max(seconds) * 1e3, 3),
                "postings_per_query_p50": int(np.median(postings)),
                "postings_per_query_max": max(postings),
            }
        )
        log.info("keyword %d: top-%d p50 %.2f ms, p99 %.2f ms", n, k, rows[-1]["p50_ms"], rows[-1]["p99_ms"])
        del index
        gc.collect()
    return rows
