"""`qa bench`: one benchmark run → bench-results/bench-<time>.json and .md."""

from __future__ import annotations

import logging
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import click

# Exact search may add up to half of a query's encoding time (search ≤ 1.5× the encoder, the
# same bound as the HTTP target) before the approximate index pays off.
FLAT_BUDGET_SHARE = 0.5
FULL = {"requests": 300, "inprocess_queries": 200, "scale_sizes": (100_000, 1_000_000)}
QUICK = {"requests": 60, "inprocess_queries": 40, "scale_sizes": (100_000,)}


def _step(message: str) -> None:
    click.secho(f"[{time.strftime('%H:%M:%S')}] {message}", err=True, dim=True)


def run_service_benchmarks(settings, sizes: dict, workdir: Path, results: dict) -> None:
    """Index build, in-process search vs bare encoder + FAISS, HTTP vs a bare hello server."""
    from qa.bench.http import run_http
    from qa.bench.inprocess import bench_queries, run_inprocess
    from qa.embed.model import load_encoder
    from qa.index.build import build_index
    from qa.service import open_service

    encoder = load_encoder(settings.model, settings.threads)
    encoder.encode_queries(["warm up"])
    index_dir = workdir / "index"
    _step("building the index into a fresh folder")
    started = time.perf_counter()
    build_index(settings.corpus_dir, index_dir, encoder, settings.batch_size, progress=False)
    results["build_s"] = round(time.perf_counter() - started, 2)
    service = open_service(settings.model_copy(update={"index_dir": index_dir, "auto_build": False}),
                           progress=False, encoder=encoder)
    _step("in process: search vs bare encoder + FAISS")
    results["inprocess"] = run_inprocess(service, bench_queries(sizes["inprocess_queries"]))
    _step(f"HTTP: hello vs /v1/search, {sizes['requests']} requests per level")
    results["http"] = run_http(index_dir, settings.corpus_dir, settings.model,
                               bench_queries(sizes["requests"]), log=workdir / "servers.log")


def encoder_figures(settings, results: dict) -> tuple[float, int]:
    """Query-encoding p50 (ms) and vector dimension: from the in-process run, else measured now."""
    from qa.bench.inprocess import bench_queries
    from qa.bench.stats import latency_summary
    from qa.embed.model import load_encoder

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
@click.option("--no-scale", is_flag=True, help="Skip the synthetic 100k/1M flat-vs-HNSW run.")
@click.option("--scale-only", is_flag=True, help="Only the synthetic scale run.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bench-results"), show_default=True)
def bench_command(quick: bool, no_scale: bool, scale_only: bool, out_dir: Path) -> None:
    """Measure speed: in-process and HTTP search against their bare floors, build, cold start,
    memory, and flat vs HNSW at 100k/1M synthetic vectors. A benchmark, not a test: traffic
    goes only to 127.0.0.1 and every phase is bounded in requests."""
    import faiss

    from qa.bench.report import derive_ratios, markdown
    from qa.bench.scale import run_scale
    from qa.bench.stats import cpu_count
    from qa.fsutil import atomic_write_json, atomic_write_text
    from qa.settings import get_settings

    if no_scale and scale_only:
        raise click.UsageError("--no-scale and --scale-only exclude each other")
    logging.getLogger("qa.bench").setLevel(logging.INFO)
    settings = get_settings()
    sizes = QUICK if quick else FULL
    stamp = datetime.now(timezone.utc)
    results: dict = {"meta": {
        "date": stamp.isoformat(timespec="seconds"), "cpus": cpu_count(), "model": settings.model,
        "python": platform.python_version(), "faiss": faiss.__version__, "quick": quick,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }}
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        if not scale_only:
            run_service_benchmarks(settings, sizes, Path(tmp), results)
        if not no_scale:
            encode_ms, dim = encoder_figures(settings, results)
            _step(f"scale run at {', '.join(f'{n:,}' for n in sizes['scale_sizes'])} vectors of {dim} dims")
            results["scale"] = run_scale(sizes["scale_sizes"], dim, FLAT_BUDGET_SHARE * encode_ms)
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["ratios"] = derive_ratios(results)
    name = f"bench-{stamp:%Y%m%dT%H%M%S}"
    atomic_write_json(out_dir / f"{name}.json", results)
    table = markdown(results)
    atomic_write_text(out_dir / f"{name}.md", table)
    click.echo(table)
    click.echo(f"wrote {out_dir / name}.json and .md")
