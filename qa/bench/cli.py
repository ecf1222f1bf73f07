"""`qa bench`: one benchmark run → bench-results/bench-<time>.json and .md."""

from __future__ import annotations

import logging
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import faiss

from qa.bench.asking import run_ask_leg
from qa.bench.buildspeed import build_texts, run_build_throughput
from qa.bench.contention import run_neighbour_leg, run_rebuild_leg
from qa.bench.filtered import one_passage_documents, run_filtered_leg
from qa.bench.flood import FLOOD_KINDS, run_flood_leg
from qa.bench.http import run_http
from qa.bench.inprocess import bench_queries, run_inprocess
from qa.bench.report import derive_ratios, markdown
from qa.bench.scale import run_keyword_scale, run_scale
from qa.bench.stats import latency_summary
from qa.bench.upload_build import run_upload_build_leg
from qa.bench.uploads import run_upload_flood_leg
from qa.embed.model import load_encoder
from qa.embed.threads import usable_cores
from qa.fsutil import atomic_write_json, atomic_write_text
from qa.index.build import build_index
from qa.service import open_service
from qa.settings import get_settings

# Exact search may add up to half of a query's encoding time (search ≤ 1.5× the encoder, the
# same bound as the HTTP target) before the approximate index pays off.
FLAT_BUDGET_SHARE = 0.5
FULL = {
    "requests": 300,
    "inprocess_queries": 200,
    "scale_sizes": (100_000, 1_000_000),
    "neighbour_queries": 40,
    "rebuild_requests": 5000,
    "rebuild_seconds": 900,
    "build_rounds": 2,
    "build_texts": None,
    "keyword_sizes": (100_000, 1_000_000),
    "ask_questions": 60,
}
QUICK = {
    "requests": 60,
    "inprocess_queries": 40,
    "scale_sizes": (100_000,),
    "neighbour_queries": 40,
    "rebuild_requests": 2000,
    "rebuild_seconds": 300,
    "build_rounds": 1,
    "build_texts": 200,
    "keyword_sizes": (100_000,),
    "ask_questions": 40,
}
# A smoke run of every leg in seconds (tests/test_bench.py), meaningless as figures.
TINY = {
    "requests": 6,
    "inprocess_queries": 6,
    "scale_sizes": (3_000,),
    "neighbour_queries": 4,
    "rebuild_requests": 4,
    "rebuild_seconds": 60,
    "build_rounds": 1,
    "build_texts": 12,
    "keyword_sizes": (3_000,),
    "flood_seconds": 3,
    "upload_bytes": 1024 * 1024,
    "upload_build_seconds": 3,
    "upload_build_chars": 20_000,
    "ask_questions": 4,
}


def _step(message: str) -> None:
    click.secho(f"[{time.strftime('%H:%M:%S')}] {message}", err=True, dim=True)


SERVICE_LEGS = (
    "inprocess",
    "filtered",
    "http",
    "ask",
    "neighbour",
    "flood",
    "upload_flood",
    "rebuild",
    "upload_build",
    "build_throughput",
)


def run_service_benchmarks(
    settings,
    sizes: dict,
    workdir: Path,
    results: dict,
    compare_defaults: bool = False,
    legs: tuple[str, ...] = SERVICE_LEGS,
    baseline_src: Path | None = None,
) -> None:
    """Index build, then the chosen legs: in-process search vs bare encoder + FAISS, HTTP vs a
    bare hello server, asks (question log on/off, Traditional/Simplified, a baseline checkout),
    then the hard cases: a busy neighbour, floods, serving during a rebuild, build throughput."""
    encoder = load_encoder(settings.model, settings.threads)
    encoder.encode_queries(["warm up"])
    index_dir = workdir / "index"
    log = workdir / "servers.log"
    _step("building the index into a fresh folder")
    started = time.perf_counter()
    build_index(settings.corpus_dir, index_dir, encoder, settings.batch_size, progress=False)
    results["build_s"] = round(time.perf_counter() - started, 2)
    if "inprocess" in legs or "filtered" in legs:
        service = open_service(
            settings.model_copy(update={"index_dir": index_dir, "auto_build": False}), progress=False, encoder=encoder
        )
    if "inprocess" in legs:
        _step("in process: search vs bare encoder + FAISS")
        results["inprocess"] = run_inprocess(service, bench_queries(sizes["inprocess_queries"]))
    if "filtered" in legs:
        _step("in process: filtered (about 1 % of passages) vs unfiltered search, on one-passage documents")
        split = one_passage_documents(service, workdir / "one-passage")
        results["filtered"] = run_filtered_leg(split, bench_queries(sizes["inprocess_queries"]))
    if "http" in legs:
        _step(f"HTTP: hello vs /v1/search, {sizes['requests']} requests per level")
        results["http"] = run_http(
            index_dir, settings.corpus_dir, settings.model, bench_queries(sizes["requests"]), log=log
        )
    if "ask" in legs:
        _step(
            f"HTTP /v1/ask and /v1/search, {sizes['ask_questions']} questions: question log on vs off, "
            "Traditional vs Simplified" + (f", against {baseline_src}" if baseline_src else "")
        )
        results["ask"] = run_ask_leg(
            index_dir,
            settings.corpus_dir,
            settings.model,
            bench_queries(sizes["ask_questions"]),
            baseline_src=baseline_src,
            log=log,
        )
    queries = bench_queries(sizes["neighbour_queries"])
    if "neighbour" in legs:
        policies = ("qa", "libgomp-defaults") if compare_defaults else ("qa",)
        results["neighbour"] = {}
        for policy in policies:
            _step(
                f"busy neighbour: {len(queries)} sequential searches, quiet then beside one CPU-bound "
                f"process ({policy} thread policy)"
            )
            results["neighbour"][policy] = run_neighbour_leg(
                index_dir, settings.corpus_dir, settings.model, queries, policy
            )
    if "flood" in legs:
        results["flood"] = {}
        for kind in FLOOD_KINDS:
            _step(f"steady client under a {kind} flood from 8 other clients (default settings)")
            results["flood"][kind] = run_flood_leg(
                index_dir,
                settings.corpus_dir,
                settings.model,
                queries,
                kind,
                max_seconds=sizes.get("flood_seconds", 20),
                log=log,
            )
    if "upload_flood" in legs:
        _step("server memory while 4 clients without a key send the largest uploads allowed, twice each")
        results["upload_flood"] = run_upload_flood_leg(
            index_dir,
            settings.corpus_dir,
            settings.model,
            queries,
            file_bytes=sizes.get("upload_bytes") or settings.max_document_bytes,
            log=log,
        )
    if "rebuild" in legs:
        _step("/v1/search while `qa build` re-embeds a changed copy of the corpus")
        results["rebuild"] = run_rebuild_leg(
            index_dir,
            settings.corpus_dir,
            settings.model,
            queries,
            workdir,
            max_requests=sizes["rebuild_requests"],
            max_seconds=sizes["rebuild_seconds"],
            log=log,
        )
    if "upload_build" in legs:
        _step("/v1/search while the server builds the largest document one upload may carry")
        results["upload_build"] = run_upload_build_leg(
            index_dir,
            settings.corpus_dir,
            settings.model,
            queries,
            workdir,
            seconds=sizes.get("upload_build_seconds", 60),
            max_chars=sizes.get("upload_build_chars"),
            log=log,
        )
    if "build_throughput" in legs:
        texts = build_texts(settings.corpus_dir)[: sizes["build_texts"]]
        _step(f"build throughput: {len(texts)} texts, build path vs bare encoder")
        results["build_throughput"] = run_build_throughput(encoder, texts, settings.batch_size, sizes["build_rounds"])


def encoder_figures(settings, results: dict) -> tuple[float, int]:
    """Query-encoding p50 (ms) and vector dimension: from the in-process run, else measured now."""
    encoder = load_encoder(settings.model, settings.threads)
    if "inprocess" in results:
        return results["inprocess"]["sequential"]["bare"]["p50_ms"], encoder.dimension
    seconds = []
    for query in bench_queries(31):
        started = time.perf_counter()
        encoder.encode_queries([query])
        seconds.append(time.perf_counter() - started)
    return latency_summary(seconds[1:])["p50_ms"], encoder.dimension


@click.command("bench")
@click.option("--quick", is_flag=True, help="Fewer requests and only the 100k scale point.")
@click.option("--tiny", is_flag=True, hidden=True, help="Every leg in seconds, for tests; no useful figures.")
@click.option(
    "--compare-defaults",
    is_flag=True,
    help="Also run the busy-neighbour leg under libgomp's default wait policy (slow: up to ~2 s a query).",
)
@click.option("--no-scale", is_flag=True, help="Skip the synthetic 100k/1M flat-vs-HNSW run.")
@click.option("--scale-only", is_flag=True, help="Only the synthetic scale run.")
@click.option(
    "--store",
    type=click.Choice(["faiss", "milvus"]),
    default="faiss",
    show_default=True,
    help="milvus: also time the same index on Milvus against FAISS (the engine from the "
    "milvus-lite wheel on 127.0.0.1 unless --milvus-uri names a server).",
)
@click.option("--milvus-uri", default=None, help="A running Milvus for --store milvus.")
@click.option(
    "--leg",
    "legs",
    multiple=True,
    type=click.Choice(SERVICE_LEGS),
    help="Run only these service legs (repeatable); default: all of them.",
)
@click.option(
    "--baseline-src",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Another checkout of qa (e.g. `git worktree add /tmp/base REV`): the ask leg also "
    "times it, on its own index of the same corpus, in turn with this one.",
)
@click.option(
    "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("bench-results"), show_default=True
)
def bench_command(
    quick: bool,
    tiny: bool,
    compare_defaults: bool,
    no_scale: bool,
    scale_only: bool,
    store: str,
    milvus_uri: str | None,
    legs: tuple[str, ...],
    baseline_src: Path | None,
    out_dir: Path,
) -> None:
    """Measure speed: in-process and HTTP search against their bare floors, build, cold start,
    memory; search beside a busy neighbour process and during a rebuild, build throughput;
    flat vs HNSW at 100k/1M synthetic vectors and keyword top-k at 1M synthetic passages.
    A benchmark, not a test: traffic goes only to 127.0.0.1, every phase is bounded, and
    every process it starts is stopped by PID."""
    if no_scale and scale_only:
        raise click.UsageError("--no-scale and --scale-only exclude each other")
    logging.getLogger("qa.bench").setLevel(logging.INFO)
    settings = get_settings()
    sizes = TINY if tiny else QUICK if quick else FULL
    stamp = datetime.now(UTC)
    results: dict = {
        "meta": {
            "date": stamp.isoformat(timespec="seconds"),
            "cpus": usable_cores(),
            "model": settings.model,
            "python": platform.python_version(),
            "faiss": faiss.__version__,
            "quick": quick,
            "tiny": tiny,
            "threads": settings.threads,
            "gomp_spincount": os.environ.get("GOMP_SPINCOUNT"),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        }
    }
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        if not scale_only:
            run_service_benchmarks(
                settings, sizes, Path(tmp), results, compare_defaults, legs or SERVICE_LEGS, baseline_src
            )
        if store == "milvus":
            # pymilvus is optional (the milvus extra): loaded only for --store milvus.
            from qa.bench.milvus import run_milvus_bench

            _step("Milvus against FAISS on the same index")
            # Loading 100k synthetic vectors into the local engine takes minutes: that scale
            # point runs on its own (`python -m qa.bench.milvus --synthetic N`).
            run_milvus_bench(settings, results, uri=milvus_uri)
        if not no_scale:
            encode_ms, dim = encoder_figures(settings, results)
            _step(f"scale run at {', '.join(f'{n:,}' for n in sizes['scale_sizes'])} vectors of {dim} dims")
            results["scale"] = run_scale(sizes["scale_sizes"], dim, FLAT_BUDGET_SHARE * encode_ms)
            _step(f"keyword top-k at {', '.join(f'{n:,}' for n in sizes['keyword_sizes'])} synthetic passages")
            results["keyword_scale"] = run_keyword_scale(sizes["keyword_sizes"])
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["ratios"] = derive_ratios(results)
    name = f"bench-{stamp:%Y%m%dT%H%M%S}"
    atomic_write_json(out_dir / f"{name}.json", results)
    table = markdown(results)
    if "milvus" in results:
        from qa.bench.milvus import markdown as milvus_markdown  # pymilvus: optional, as above

        table += "\n\n" + milvus_markdown(results["milvus"])
    atomic_write_text(out_dir / f"{name}.md", table)
    click.echo(table)
    click.echo(f"wrote {out_dir / name}.json and .md")
