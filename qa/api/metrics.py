"""Prometheus metrics: requests by route template and status, search stages, the live index.

With several uvicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty folder, wiped at deploy)
and /metrics adds up every worker's numbers; otherwise each worker reports its own.
"""

from __future__ import annotations

import os
import platform
from contextvars import ContextVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest, multiprocess)

from qa import __version__

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
SEARCH_STAGES = ("encode", "retrieve", "fuse")

REQUESTS = Counter("qa_http_requests_total", "HTTP requests by method, route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("qa_http_request_duration_seconds", "HTTP request latency.",
                    ["method", "route", "status"], buckets=LATENCY_BUCKETS)
SEARCH_STAGE = Histogram("qa_search_stage_seconds", "Search latency by stage (encode, retrieve, fuse).",
                         ["stage"], buckets=STAGE_BUCKETS)
RELOADS = Counter("qa_index_reloads_total", "Index reload attempts by outcome.", ["outcome"])
INDEX_PASSAGES = Gauge("qa_index_passages", "Passages in the served index.", multiprocess_mode="livemax")
INDEX_INFO = Gauge("qa_index_info", "The served index version and the model that embedded it (value 1).",
                   ["index_version", "model_id", "index_kind"], multiprocess_mode="livemax")
BUILD_INFO = Gauge("qa_build_info", "Version of this service (value 1).", ["version", "python"],
                   multiprocess_mode="livemax")
BUILD_INFO.labels(version=__version__, python=platform.python_version()).set(1)

# Per-request scratch space filled by handlers and read by the access log (see observe.py).
REQUEST_EXTRAS: ContextVar[dict | None] = ContextVar("qa_request_extras", default=None)


def observe_search(timings_ms: dict[str, float]) -> None:
    """Record a search's stage timings (SearchResult.timings_ms) for /metrics and the access log."""
    for stage in SEARCH_STAGES:
        if stage in timings_ms:
            SEARCH_STAGE.labels(stage=stage).observe(timings_ms[stage] / 1e3)
    extras = REQUEST_EXTRAS.get()
    if extras is not None:
        extras["search_ms"] = {k: round(v, 2) for k, v in timings_ms.items()}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    labels = {"method": method, "route": route, "status": str(status)}
    REQUESTS.labels(**labels).inc()
    LATENCY.labels(**labels).observe(seconds)


def _describe_index(request: Request) -> None:
    holder = getattr(request.app.state, "holder", None)
    service = holder.service if holder is not None else None
    if service is None:
        return
    store = service.store
    INDEX_PASSAGES.set(store.size)
    INDEX_INFO.clear()  # the version label changes on reload
    INDEX_INFO.labels(index_version=store.version, model_id=service.encoder.model_id,
                      index_kind=store.manifest.get("index_kind", "")).set(1)


def _exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format."}})
def metrics(request: Request) -> Response:
    """Prometheus metrics of this process (or of all workers, in multiprocess mode)."""
    _describe_index(request)
    return Response(_exposition(), media_type=CONTENT_TYPE_LATEST)
