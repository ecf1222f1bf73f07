"""Milvus vs FAISS: the same index data on both stores, timed and compared (`qa bench --store milvus`).

Three measurements:
  * demo size: the engine's search (dense + keyword + candidates, query vectors precomputed so
    the encoder is not in the figure) on the local FAISS store vs the Milvus store;
  * keyword search: the project's BM25 sparse vectors vs Milvus' own BM25 Function (chinese
    analyzer), each against the FAISS path's bm25s top-10 on the dev questions;
  * scale: dense top-100 over N synthetic 384-d vectors, Milvus vs exact FAISS (recall@10 too).

Run alone:  python -m qa.bench.milvus [--uri http://HOST:PORT] [--synthetic 100000] [--out FILE]
Without --uri it starts the engine from the milvus-lite wheel in a temp folder and stops it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from pymilvus import DataType

from qa.bench.inprocess import bench_queries
from qa.bench.stats import latency_summary, recall_at_k
from qa.bench.synthetic import ClusteredMixture
from qa.embed.model import load_encoder
from qa.index.build import prepare_index_data
from qa.search.engine import SearchEngine
from qa.settings import get_settings
from qa.store.local.load import load_index
from qa.store.local.write import write_local_version
from qa.store.milvus.client import MilvusConnection
from qa.store.milvus.engine import free_port, start_engine, stop_engine
from qa.store.milvus.load import open_milvus_store
from qa.store.milvus.write import write_milvus_version
from qa.text import tokenize


def _timed(call, items) -> list[float]:
    seconds = []
    for item in items:
        started = time.perf_counter()
        call(item)
        seconds.append(time.perf_counter() - started)
    return seconds


def demo_size(settings, connection, workdir: Path, queries: list[str]) -> dict:
    """Engine search latency on the demo corpus, FAISS folder vs Milvus collections."""
    encoder = load_encoder(settings.model, settings.threads)
    # The embedding cache of QA_INDEX_DIR: unchanged passages are not embedded again.
    data = prepare_index_data(settings.corpus_dir, encoder, settings.index_dir, settings.batch_size, progress=False)
    started = time.perf_counter()
    write_milvus_version(connection, data, collection="bench", index_type=settings.milvus_index_type, engine_bm25=True)
    milvus_write_s = time.perf_counter() - started
    local = load_index(workdir, folder=write_local_version(workdir, data))
    milvus = open_milvus_store(settings.model_copy(update={"milvus_collection": "bench"}), connection=connection)
    vectors = encoder.encode_queries(queries)
    out = {"passages": local.size, "milvus_write_s": round(milvus_write_s, 2)}
    for name, store in (("faiss", local), ("milvus", milvus)):
        engine = SearchEngine(store, encoder)
        engine.search(queries[0], qvec=vectors[0])  # first-call setup
        # Distinct queries; Milvus' record and sentence caches warm up as they do in service.
        seconds = _timed(lambda i, engine=engine: engine.search(queries[i], qvec=vectors[i]), range(len(queries)))
        out[name] = {"search": latency_summary(seconds)}
    out["keyword"] = keyword_agreement(local, milvus, queries)
    return out


def keyword_agreement(local, milvus, queries: list[str], k: int = 10) -> dict:
    """Overlap of each Milvus keyword ranking with bm25s' top-k (the FAISS path)."""
    tokens = [tokenize(q) for q in queries]
    _, want = local.keyword_search(tokens, k)
    _, sparse = milvus.keyword_search(tokens, k)
    _, engine = milvus.engine_keyword_search(queries, k)

    def agreement(rows: np.ndarray) -> dict:
        overlap, top1 = [], []
        for got, ref in zip(rows, want):
            ref_set = {int(r) for r in ref if r >= 0}
            if not ref_set:
                continue
            overlap.append(len(ref_set & {int(r) for r in got if r >= 0}) / len(ref_set))
            top1.append(float(got[0] == ref[0]))
        return {
            "overlap@10": round(float(np.mean(overlap)), 3),
            "same_top1": round(float(np.mean(top1)), 3),
            "queries": len(overlap),
        }

    return {"sparse_bm25s_weights": agreement(sparse), "milvus_bm25_function": agreement(engine)}


def synthetic(connection, n: int, queries: int = 200, dim: int = 384, index_type: str = "AUTOINDEX") -> dict:
    """Dense top-100 over n synthetic vectors: Milvus vs exact FAISS, latency and recall@10."""
    mixture = ClusteredMixture.for_size(n, dim)
    vectors, asked = mixture.sample(n, seed=1), mixture.sample(queries, seed=2)
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    truth = flat.search(asked, 100)[1]
    faiss_s = _timed(lambda i: flat.search(asked[i : i + 1], 100), range(queries))
    name = f"bench_synthetic_{n}"

    def load(client, timeout):
        if client.has_collection(name, timeout=timeout):
            client.drop_collection(name, timeout=timeout)
        schema = client.create_schema(auto_id=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        params = client.prepare_index_params()
        params.add_index("dense", index_type=index_type, metric_type="IP")
        client.create_collection(name, schema=schema, index_params=params, timeout=timeout)
        for start in range(0, n, 5000):
            client.insert(
                name,
                [{"row": start + i, "dense": v} for i, v in enumerate(vectors[start : start + 5000])],
                timeout=timeout,
            )
        client.flush(name, timeout=timeout)
        client.release_collection(name, timeout=timeout)
        client.load_collection(name, timeout=timeout)

    started = time.perf_counter()
    connection.call("loading synthetic vectors", load)
    load_s = time.perf_counter() - started
    client = connection.client()
    found = np.full((queries, 100), -1, dtype=np.int64)

    def search(i: int) -> None:
        hits = client.search(
            name,
            data=[asked[i]],
            anns_field="dense",
            limit=100,
            search_params={"metric_type": "IP", "params": {}},
            timeout=connection.timeout,
        )[0]
        found[i, : len(hits)] = [h["id"] for h in hits]

    search(0)
    milvus_s = _timed(search, range(queries))
    connection.call("dropping synthetic vectors", lambda c, t: c.drop_collection(name, timeout=t))
    return {
        "n": n,
        "dim": dim,
        "index_type": index_type,
        "milvus_load_s": round(load_s, 1),
        "faiss_flat": latency_summary(faiss_s),
        "milvus": latency_summary(milvus_s),
        "milvus_recall@10": round(recall_at_k(found, truth, 10), 4),
    }


def run_milvus_bench(settings, results: dict, uri: str | None = None, synthetic_sizes=(), queries: int = 100) -> dict:
    """The hook for `qa bench --store milvus`: fills results["milvus"] and returns it."""
    with tempfile.TemporaryDirectory(prefix="qa-bench-milvus-") as tmp:
        process = None
        if uri is None:
            port = free_port()
            process = start_engine(Path(tmp) / "milvus.db", port)
            uri = f"http://127.0.0.1:{port}"
        try:
            connection = MilvusConnection(uri, settings.milvus_token, max(settings.milvus_timeout_seconds, 60))
            out = {
                "uri": uri,
                "engine": "milvus-lite 2.5.1 (local)" if process else "server",
                "demo": demo_size(settings, connection, Path(tmp), bench_queries(queries)),
            }
            out["synthetic"] = [
                synthetic(connection, n, index_type=settings.milvus_index_type) for n in synthetic_sizes
            ]
        finally:
            if process is not None:
                stop_engine(process)
    results["milvus"] = out
    return out


def markdown(out: dict) -> str:
    demo = out["demo"]
    lines = [
        f"## Milvus vs FAISS ({out['engine']})",
        "",
        f"Demo corpus, {demo['passages']} passages: engine search (query vector given), "
        f"Milvus write {demo['milvus_write_s']} s.",
        "",
        "| store | p50 ms | p99 ms |",
        "|---|---|---|",
    ]
    for name in ("faiss", "milvus"):
        s = demo[name]["search"]
        lines.append(f"| {name} | {s['p50_ms']} | {s['p99_ms']} |")
    kw = demo["keyword"]
    lines += [
        "",
        "Keyword search vs bm25s top-10 (the FAISS path):",
        "",
        "| method | overlap@10 | same top-1 |",
        "|---|---|---|",
    ]
    for name, v in kw.items():
        lines.append(f"| {name} | {v['overlap@10']} | {v['same_top1']} |")
    if out.get("synthetic"):
        lines += [
            "",
            "| synthetic vectors | FAISS flat p50 ms | Milvus p50 ms | Milvus p99 ms | recall@10 |",
            "|---|---|---|---|---|",
        ]
        for s in out["synthetic"]:
            lines.append(
                f"| {s['n']:,} ({s['index_type']}) | {s['faiss_flat']['p50_ms']} | "
                f"{s['milvus']['p50_ms']} | {s['milvus']['p99_ms']} | {s['milvus_recall@10']} |"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> int:

    parser = argparse.ArgumentParser(prog="python -m qa.bench.milvus", description=__doc__.split("\n")[0])
    parser.add_argument("--uri", help="a running Milvus (default: start the wheel's engine)")
    parser.add_argument("--synthetic", type=int, action="append", default=[], help="synthetic size (repeatable)")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("bench-results/milvus.json"))
    args = parser.parse_args(argv)
    out = run_milvus_bench(get_settings(), {}, args.uri, args.synthetic, args.queries)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(markdown(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
