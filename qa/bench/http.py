"""HTTP timings against real uvicorn subprocesses on 127.0.0.1: cold start, latency, requests/s."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from qa.bench.stats import free_port, latency_summary, proc_memory_mb

START_TIMEOUT = 180.0
REQUEST_TIMEOUT = 60.0
# Switch off what would distort a load test: per-request log lines, rate limits, index polling.
SERVER_ENV = {
    "QA_ACCESS_LOG": "false",
    "QA_RATE_LIMIT_PER_MINUTE": "0",
    "QA_RELOAD_POLL_SECONDS": "0",
    "QA_API_KEYS": "",
    "QA_AUTO_BUILD": "false",
    "QA_LOG_LEVEL": "warning",
}


def service_env(index_dir: Path, corpus_dir: Path, model: str, **extra: str) -> dict[str, str]:
    """The environment of a `Server` of the qa app on this index, corpus and model (on top of
    SERVER_ENV), plus `extra` settings."""
    return {"QA_INDEX_DIR": str(index_dir), "QA_CORPUS_DIR": str(corpus_dir), "QA_MODEL": model, **extra}


class Server:
    """One uvicorn process serving `app` (an import string) on a free local port."""

    def __init__(
        self, app: str, factory: bool = False, env: dict[str, str] | None = None, log: Path | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        if factory:
            command.append("--factory")
        self._log = open(log, "ab") if log else subprocess.DEVNULL
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, env={**os.environ, **SERVER_ENV, **(env or {})}, stdout=self._log, stderr=self._log
        )

    def wait_ready(self, path: str = "/readyz", timeout: float = START_TIMEOUT) -> float:
        """Seconds from spawning the process until GET `path` answers 200."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with code {self.process.returncode} before {path} was ready")
            try:
                if httpx.get(self.url + path, timeout=2.0).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{path} not ready after {timeout:.0f} s")

    def memory(self) -> dict:
        return proc_memory_mb(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


async def _load(url: str, path: str, bodies: Sequence[dict], concurrency: int) -> dict:
    pending = iter(bodies)
    seconds: list[float] = []
    errors: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT) as client:

        async def worker() -> None:
            for body in pending:  # one shared iterator: each body is sent once
                started = time.perf_counter()
                response = await client.post(path, json=body)
                seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors[response.status_code] = errors.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        **latency_summary(seconds),
        "rps": round(len(seconds) / wall, 1),
        "errors": errors,
    }


def load(url: str, path: str, bodies: Sequence[dict], concurrency: int, warmup: int = 5) -> dict:
    """POST every body once with `concurrency` requests in flight; latency and requests/s."""
    asyncio.run(_load(url, path, list(bodies[:warmup]), 1))
    return asyncio.run(_load(url, path, bodies, concurrency))


def search_bodies(queries: Sequence[str], top_k: int = 5) -> list[dict]:
    return [{"query": q, "top_k": top_k} for q in queries]


def run_http(
    index_dir: Path,
    corpus_dir: Path,
    model: str,
    queries: Sequence[str],
    levels: Sequence[int] = (1, 16),
    log: Path | None = None,
) -> dict:
    """The bare "hello" floor and the real app, each in its own uvicorn, at every concurrency level."""
    bodies = search_bodies(queries)
    out: dict = {"hello": {}, "search": {}}
    with Server("qa.bench.hello:app", log=log) as hello:
        hello.wait_ready("/")
        for level in levels:
            out["hello"][f"c{level}"] = load(hello.url, "/v1/search", bodies, level)
    env = service_env(index_dir, corpus_dir, model)
    with Server("qa.api.app:create_app", factory=True, env=env, log=log) as server:
        out["cold_start_s"] = round(server.wait_ready("/readyz"), 2)
        out["memory_after_start"] = server.memory()
        for level in levels:
            out["search"][f"c{level}"] = load(server.url, "/v1/search", bodies, level)
        out["memory_after_load"] = server.memory()
    return out
