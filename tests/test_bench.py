"""`qa bench` building blocks: statistics, synthetic data, report, micro-batching (no timings)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from qa.bench import hello
from qa.bench.asking import traditional_twins
from qa.bench.inprocess import bench_queries
from qa.bench.report import derive_ratios, markdown
from qa.bench.scale import recommend_threshold, run_size
from qa.bench.stats import latency_summary, ratio, recall_at_k
from qa.bench.synthetic import ClusteredMixture
from qa.bench.uploads import multipart_body
from qa.cli import cli
from qa.embed.batching import BatchingEncoder
from qa.text.script import script_of, to_simplified


def test_latency_summary_in_milliseconds():
    summary = latency_summary([0.001] * 99 + [0.101])
    assert summary["n"] == 100
    assert summary["p50_ms"] == pytest.approx(1.0)
    assert 1.0 < summary["p99_ms"] <= 101.0
    assert summary["mean_ms"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        latency_summary([])


def test_ratio_handles_missing_sides():
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(None, 2.0) is None and ratio(1.0, 0.0) is None


def test_recall_counts_shared_ids_per_query():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 2, 1], [5, 6, 0, 0]])
    assert recall_at_k(found, truth, k=4) == pytest.approx((1.0 + 0.5) / 2)
    assert recall_at_k(found, truth, k=2) == pytest.approx((0.0 + 1.0) / 2)


def test_threshold_is_where_the_fitted_linear_cost_meets_the_budget():
    sweep = [
        {"vectors": 10_000, "p50_ms": 0.5},
        {"vectors": 50_000, "p50_ms": 1.9},
        {"vectors": 100_000, "p50_ms": 4.0},
    ]  # ≈ 0.04 µs a vector
    assert recommend_threshold(sweep, 2.0) == 50_000
    assert recommend_threshold(sweep, 0.1) == 2_000
    assert recommend_threshold(sweep[:1], 1.0) == 20_000
    assert recommend_threshold([], 2.0) is None


def test_synthetic_vectors_are_normalised_and_clustered():
    mixture = ClusteredMixture(dim=64, clusters=10, seed=3)
    vectors = mixture.sample(2000, seed=4)
    assert vectors.shape == (2000, 64) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors[:200] @ vectors.T
    np.fill_diagonal(sims[:, :200], -1)
    # Each vector's nearest neighbour is far closer than a typical pair: there is structure to find.
    assert np.median(sims.max(axis=1)) > np.median(sims) + 0.3
    assert np.array_equal(vectors, mixture.sample(2000, seed=4))  # reproducible


def test_scale_run_on_a_tiny_set_finds_the_exact_neighbours():
    row, vectors, queries = run_size(3000, dim=32, queries=50)
    assert row["vectors"] == 3000 == len(vectors) and len(queries) == 50
    assert row["hnsw_recall@10"] >= 0.9
    for key in ("flat_latency", "hnsw_latency"):
        assert row[key]["n"] == 50


def test_traditional_twins_are_the_chinese_questions_converted():
    simplified, traditional = traditional_twins(["中国的风电装机容量是多少？", "What is the target?", "碳市场"])
    assert simplified == ["中国的风电装机容量是多少？", "碳市场"]
    assert traditional[0] != simplified[0] and script_of(traditional[0]) == "zh-Hant"
    assert to_simplified(traditional[0]) == simplified[0]


def test_upload_flood_body_is_a_well_formed_multipart_of_the_asked_size():
    body = b"".join(multipart_body(3000, files=2))
    assert body.count(b"a" * 3000) == 2 and body.endswith(b"--\r\n")
    assert body.count(b'name="file"') == 2


def test_bench_queries_are_distinct():
    queries = bench_queries(120)
    assert len(set(queries)) == 120


def _fake_results() -> dict:
    def lat(p50):
        return {"n": 10, "p50_ms": p50, "p99_ms": 2 * p50, "mean_ms": p50}

    def conc(p50, rps):
        return {"concurrency": 16, **lat(p50), "rps": rps, "errors": {}}

    inproc = {
        "sequential": {"bare": lat(10.0), "search": lat(12.0), "search_batched": lat(12.5)},
        "bare_concurrent": conc(150, 100.0),
        "search_concurrent": conc(170, 90.0),
        "bare_batched_concurrent": conc(60, 250.0),
        "search_batched_concurrent": conc(80, 200.0),
        "encoder_batch": [{"batch": 1, "batch_ms": 10.0, "per_query_ms": 10.0}],
    }
    http = {
        "hello": {"c1": conc(1.0, 900.0), "c16": conc(8.0, 2000.0)},
        "search": {"c1": conc(14.0, 70.0), "c16": conc(180.0, 85.0)},
        "cold_start_s": 4.2,
        "memory_after_load": {"peak_rss_mb": 500.0},
    }
    return {"meta": {"date": "today", "cpus": 2, "model": "m"}, "inprocess": inproc, "http": http, "build_s": 20.0}


def test_ratios_and_markdown_from_raw_figures():
    results = _fake_results()
    results["ratios"] = derive_ratios(results)
    assert results["ratios"]["http_p50_c1_over_bare_p50"] == 1.4
    assert results["ratios"]["http_rps_c16_over_bare_rps_c16"] == 0.85
    assert results["ratios"]["batched_over_plain_search_rps_c16"] == pytest.approx(2.222)
    table = markdown(results)
    assert "| HTTP /v1/search, concurrency 16 | 180.00 / 360.00 | 85.0 | 0.85× bare req/s" in table
    assert "cold start to /readyz (prebuilt index) | 4.2 s" in table


def test_hello_app_answers_any_post():
    async def call():
        transport = httpx.ASGITransport(app=hello.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/v1/search", json={"query": "x"})

    import asyncio

    response = asyncio.run(call())
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_tiny_bench_runs_every_leg_and_writes_ratios(tiny_corpus, cli_env, tmp_path):
    """Every leg end to end on 8 passages, including the neighbour and rebuild processes it
    starts and stops; the figures of such a run mean nothing, the shape of the results does."""
    cli_env(tiny_corpus, tmp_path / "unused-index")
    out_dir = tmp_path / "results"
    before = set(live_children())  # servers other tests of the session keep running
    result = CliRunner().invoke(cli, ["bench", "--tiny", "--out-dir", str(out_dir)])
    assert result.exit_code == 0, result.output
    [report] = out_dir.glob("bench-*.json")
    results = json.loads(report.read_text())
    leg = results["neighbour"]["qa"]
    assert leg["queries"] == 4 and leg["busy"]["search"]["n"] == 4 and leg["busy"]["search"]["max_ms"] > 0
    assert results["rebuild"]["during_build"]["n"] >= 1
    assert results["build_throughput"]["texts"] == 12
    assert results["keyword_scale"][0]["passages"] == 3000
    filtered = results["filtered"]  # on the same passages, one document each
    assert filtered["passages"] >= 8 and filtered["kept"] == 1
    assert filtered["full_top_k"] and filtered["filter"]["doc_id"]
    ask = results["ask"]
    assert {"analytics_on", "analytics_off"} == set(ask["ask"]) and ask["ask"]["analytics_on"]["statuses"] == {"200": 4}
    assert ask["ratios"]["ask_p50_analytics_on_over_off"] > 0
    uploads = results["upload_flood"]
    assert set(uploads["upload_statuses"]) <= {"0", "401"} and sum(uploads["upload_statuses"].values()) == 8
    assert all(results["flood"][kind]["under_flood"]["n"] >= 1 for kind in ("long-query", "history"))
    for name in (
        "neighbour_search_p50_over_quiet_bare_p50",
        "neighbour_search_worst_over_quiet_bare_p50",
        "rebuild_http_p50_over_quiet_http_p50",
        "build_over_bare_encoder_throughput",
        "http_p50_c1_over_bare_p50",
    ):
        assert results["ratios"][name] > 0, name
    table = (out_dir / report.with_suffix(".md").name).read_text()
    assert "one busy neighbour: search" in table and "during `qa build`" in table
    assert "keyword top-k" in table
    assert "question log on / off" in table and "keyless uploads" in table and "history flood" in table
    assert set(live_children()) - before == set(), "a process the bench started is still running"


def live_children() -> list[int]:
    """PIDs of this process's live children (from /proc)."""
    me = str(os.getpid())
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return children


def test_bench_is_a_registered_command():
    result = CliRunner().invoke(cli, ["bench", "--help"])
    assert result.exit_code == 0 and "--no-scale" in result.output and "--compare-defaults" in result.output
    result = CliRunner().invoke(cli, ["bench", "--no-scale", "--scale-only"])
    assert result.exit_code != 0 and "exclude" in result.output


def test_batching_encoder_gives_each_caller_its_own_vectors(encoder):
    batcher = BatchingEncoder(encoder, max_batch=8)
    texts = [f"question number {i} about carbon" for i in range(12)] + ["碳达峰", "碳中和"]
    expected = encoder.encode_queries(texts)
    got: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        got[i] = batcher.encode_queries([texts[i]])[0]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vector in got.items():
        assert np.allclose(vector, expected[i], atol=1e-4), texts[i]
    assert len(got) == len(texts)
    assert batcher.encode_queries(texts[:3]).shape == (3, encoder.dimension)
    assert batcher.model_id == encoder.model_id  # everything else is the wrapped encoder's


def test_batching_encoder_hands_errors_to_the_caller():
    class Broken:
        def encode_queries(self, texts):
            raise RuntimeError("engine failed")

    with pytest.raises(RuntimeError, match="engine failed"):
        BatchingEncoder(Broken()).encode_queries(["x"])


def test_the_filtered_leg_keeps_about_one_percent_and_fills_top_k(tmp_path):
    from qa.bench.filtered import pick_filter, run_filtered_leg
    from qa.search.engine import SearchEngine
    from qa.service import Service
    from qa.settings import Settings
    from tests.store.test_filters import DIM, DOCS, open_store

    store = open_store(tmp_path, "all", list(range(DOCS)))
    doc_filter, kept = pick_filter(store)
    assert kept == 10 and doc_filter.fields == {"doc_id"}  # one 10-passage document of 1000

    class Vectors:  # queries as deterministic vectors: the leg times the store, not a model
        def encode_queries(self, texts: list[str]) -> np.ndarray:
            rng = np.random.default_rng(len(texts))
            q = rng.normal(size=(len(texts), DIM)).astype(np.float32)
            return q / np.linalg.norm(q, axis=1, keepdims=True)

    engine = SearchEngine(store, Vectors())
    leg = run_filtered_leg(Service(Settings(), None, store, engine), ["w1 w2", "w3", "w5 w9"])  # type: ignore[arg-type]
    assert leg["kept_share"] == 0.01 and leg["full_top_k"] and leg["filtered"]["n"] == 3
    assert leg["p50_ratio"] > 0
