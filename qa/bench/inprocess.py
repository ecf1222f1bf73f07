"""In-process timings: the search engine against the bare encoder + FAISS call it wraps."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from qa.bench.stats import latency_summary
from qa.embed.batching import BatchingEncoder
from qa.eval.questions import load_questions
from qa.settings import PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "tests" / "data" / "dev.jsonl"
# FAISS candidates the engine asks for at top_k=5 (qa.search.candidates.CANDIDATES).
BARE_CANDIDATES = 100


def bench_queries(count: int) -> list[str]:
    """`count` distinct queries: the dev questions, then numbered variants of them.

    Distinct texts keep any query cache from turning the benchmark into a cache benchmark.
    """
    base = [q.question for q in load_questions(QUESTIONS)]
    return [base[i % len(base)] + (f" ({i // len(base)})" if i >= len(base) else "") for i in range(count)]


def bare_search(encoder, index) -> Callable[[str], object]:
    """What the engine wraps: embed the query, then one FAISS lookup."""
    k = min(BARE_CANDIDATES, index.ntotal)

    def call(query: str):
        return index.search(encoder.encode_queries([query]), k)

    return call


def engine_search(engine, top_k: int = 5) -> Callable[[str], object]:

    def call(query: str):
        return engine.search(query, top_k)

    return call


def sequential(calls: dict[str, Callable[[str], object]], queries: Sequence[str]) -> dict[str, list[float]]:
    """Time each call on every query, interleaved so machine noise hits them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for query in queries:
        for name, call in calls.items():
            started = time.perf_counter()
            call(query)
            seconds[name].append(time.perf_counter() - started)
    return seconds


def concurrent(call: Callable[[str], object], queries: Sequence[str], workers: int) -> dict:
    """Throughput and latency of `workers` threads calling `call` over all queries."""
    lock = threading.Lock()
    pending = iter(queries)
    seconds: list[float] = []

    def worker() -> None:
        while True:
            with lock:
                query = next(pending, None)
            if query is None:
                return
            started = time.perf_counter()
            call(query)
            elapsed = time.perf_counter() - started
            with lock:
                seconds.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    wall = time.perf_counter() - started
    return {"concurrency": workers, **latency_summary(seconds), "rps": round(len(seconds) / wall, 1)}


def run_inprocess(service, queries: Sequence[str], concurrency: int = 16) -> dict:
    index = service.store.faiss_index
    batcher = BatchingEncoder(service.encoder, service.settings.query_batch, service.settings.query_queue_tokens)
    # The same index and engine, queries encoded directly or through the batcher.
    plain_engine, batched_engine = copy.copy(service.engine), copy.copy(service.engine)
    plain_engine.encoder, batched_engine.encoder = service.encoder, batcher
    calls = {
        "bare": bare_search(service.encoder, index),
        "search": engine_search(plain_engine),
        "bare_batched": bare_search(batcher, index),
        "search_batched": engine_search(batched_engine),
    }
    for call in calls.values():  # warm caches and lazy initialisation
        call(queries[0])
    seconds = sequential({name: calls[name] for name in ("bare", "search", "search_batched")}, queries)
    return {
        "sequential": {name: latency_summary(s) for name, s in seconds.items()},
        **{f"{name}_concurrent": concurrent(call, queries, concurrency) for name, call in calls.items()},
        "encoder_batch": encoder_batch_costs(service.encoder, queries),
    }


def encoder_batch_costs(
    encoder, queries: Sequence[str], sizes: Sequence[int] = (1, 4, 16), repeats: int = 5
) -> list[dict]:
    """Per-query cost of encoding queries in batches: does batching pay on this machine?"""
    rows = []
    for size in sizes:
        seconds = []
        for r in range(repeats):
            batch = [queries[(r * size + i) % len(queries)] for i in range(size)]
            started = time.perf_counter()
            encoder.encode_queries(batch)
            seconds.append(time.perf_counter() - started)
        median = float(np.median(seconds))
        rows.append({"batch": size, "batch_ms": round(median * 1e3, 2), "per_query_ms": round(median * 1e3 / size, 2)})
    return rows
