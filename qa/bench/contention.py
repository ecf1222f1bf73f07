"""The hard cases: search while another process holds a core and while `qa build` runs (the
floods of other clients are in qa.bench.flood).

A server is rarely alone on its machine: the documented update path runs `qa build` beside
it, and containers share hosts. Each leg measures its floor in the same run (the bare encoder
+ FAISS, or the same server, on the quiet machine) and reports ratios to it.

The busy-neighbour leg runs in a fresh child process (`python -m qa.bench.contention`) so
that it can also be run under libgomp's default wait policy for comparison: the policy is
fixed when each OpenMP runtime loads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from qa.bench.http import Server, search_bodies, service_env
from qa.bench.inprocess import bare_search, engine_search, sequential
from qa.bench.stats import latency_summary
from qa.service import open_service
from qa.settings import get_settings

BUSY_LOOP = "while True: pass"
SETTLE_S = 0.5  # let the scheduler place the neighbour before timing
# libgomp's own defaults (what a process gets without qa's policy): 300,000 spins, threads fixed.
LIBGOMP_DEFAULTS = {"GOMP_SPINCOUNT": "300000"}


class Neighbours:
    """`count` CPU-bound processes (pinned nowhere), stopped by PID on exit."""

    def __init__(self, count: int = 1) -> None:
        self.count = count
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Neighbours:
        self.processes = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(self.count)]
        time.sleep(SETTLE_S)
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()


def summary(seconds: Sequence[float]) -> dict:
    """latency_summary plus the worst call, which is what a stalled pool shows up in."""
    return {**latency_summary(seconds), "max_ms": round(max(seconds) * 1e3, 3)}


def timed(calls: dict[str, Callable[[str], object]], queries: Sequence[str]) -> dict[str, dict]:
    """Each call on every query, interleaved so machine noise hits them alike."""
    return {name: summary(s) for name, s in sequential(calls, queries).items()}


def measure_neighbour(service, queries: Sequence[str], neighbours: int = 1) -> dict:
    """Bare encoder + FAISS and engine search, quiet then beside `neighbours` busy processes."""
    calls = {"bare": bare_search(service.encoder, service.store.faiss_index), "search": engine_search(service.engine)}
    for call in calls.values():
        call(queries[0])
    quiet = timed(calls, queries)
    with Neighbours(neighbours):
        busy = timed(calls, queries)
    return {"neighbours": neighbours, "queries": len(queries), "quiet": quiet, "busy": busy}


def run_neighbour_leg(
    index_dir: Path, corpus_dir: Path, model: str, queries: Sequence[str], policy: str = "qa", neighbours: int = 1
) -> dict:
    """measure_neighbour in a fresh process under `policy`: "qa" (this project's thread and
    wait settings) or "libgomp-defaults" (300,000 spins, a fixed thread count)."""
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(index_dir),
        "QA_CORPUS_DIR": str(corpus_dir),
        "QA_MODEL": model,
        "QA_AUTO_BUILD": "false",
    }
    if policy == "libgomp-defaults":
        env = {k: v for k, v in env.items() if k != "OMP_WAIT_POLICY"} | LIBGOMP_DEFAULTS
    elif policy != "qa":
        raise ValueError(f"unknown policy {policy!r}")
    command = [
        sys.executable,
        "-m",
        "qa.bench.contention",
        "--neighbours",
        str(neighbours),
        "--queries-json",
        json.dumps(list(queries), ensure_ascii=False),
    ]
    if policy == "libgomp-defaults":
        command.append("--fixed-threads")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"neighbour leg failed: {result.stderr[-2000:]}")
    return {"policy": policy, **json.loads(result.stdout.strip().splitlines()[-1])}


def changed_corpus(corpus_dir: Path, target: Path) -> Path:
    """A copy of the corpus in which every paragraph is new text, so a build re-embeds it all."""
    shutil.copytree(corpus_dir, target)
    for path in sorted(target.rglob("*")):
        if path.suffix in (".txt", ".md") and path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            path.write_text(
                "\n".join(f"{line} (rev)" if len(line.strip()) > 40 else line for line in lines) + "\n",
                encoding="utf-8",
            )
    return target


def run_rebuild_leg(
    index_dir: Path,
    corpus_dir: Path,
    model: str,
    queries: Sequence[str],
    workdir: Path,
    max_requests: int = 2000,
    max_seconds: float = 600.0,
    log: Path | None = None,
) -> dict:
    """/v1/search latency from one sequential caller: quiet, then while `qa build` embeds a
    changed copy of the corpus into the server's own index folder (the documented update
    path). The build is stopped by PID when the request or time budget runs out first."""
    served = workdir / "rebuild-index"
    shutil.copytree(index_dir, served)
    changed = changed_corpus(corpus_dir, workdir / "rebuild-corpus")
    env = service_env(served, corpus_dir, model)
    bodies = search_bodies(queries)
    out: dict = {}
    with (
        Server("qa.api.app:create_app", factory=True, env=env, log=log) as server,
        httpx.Client(base_url=server.url, timeout=60.0) as client,
    ):
        server.wait_ready("/readyz")
        post = lambda body: client.post("/v1/search", json=body).raise_for_status()  # noqa: E731
        for body in bodies[:3]:
            post(body)
        out["quiet"] = sequential_calls(post, bodies)
        build_env = {**os.environ, "QA_INDEX_DIR": str(served), "QA_CORPUS_DIR": str(changed), "QA_MODEL": model}
        logfile = open(log, "ab") if log else subprocess.DEVNULL
        started = time.perf_counter()
        build = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "build"], env=build_env, stdout=logfile, stderr=logfile
        )
        try:
            seconds: list[float] = []
            deadline = started + max_seconds
            while build.poll() is None and len(seconds) < max_requests and time.perf_counter() < deadline:
                body = bodies[len(seconds) % len(bodies)]
                begun = time.perf_counter()
                post(body)
                seconds.append(time.perf_counter() - begun)
            out["build_finished"] = build.poll() is not None
        finally:
            if build.poll() is None:
                build.kill()
            build.wait()
            if logfile is not subprocess.DEVNULL:
                logfile.close()
        out["build_s"] = round(time.perf_counter() - started, 2)
        out["build_exit_code"] = build.returncode if out["build_finished"] else None
        out["during_build"] = summary(seconds) if seconds else None
    return out


def sequential_calls(post: Callable[[dict], object], bodies: Sequence[dict]) -> dict:
    seconds = []
    for body in bodies:
        started = time.perf_counter()
        post(body)
        seconds.append(time.perf_counter() - started)
    return summary(seconds)


def _child() -> None:
    """Entry of run_neighbour_leg's fresh process: open the service, measure, print JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--neighbours", type=int, default=1)
    parser.add_argument("--queries-json", required=True)
    parser.add_argument("--fixed-threads", action="store_true")
    args = parser.parse_args()
    service = open_service(get_settings(), progress=False)
    if args.fixed_threads:
        for module in service.encoder.model:
            if hasattr(module, "adaptive_threads"):
                module.adaptive_threads = False
    result = measure_neighbour(service, json.loads(args.queries_json), args.neighbours)
    result["env"] = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    print(json.dumps(result))


if __name__ == "__main__":
    _child()
