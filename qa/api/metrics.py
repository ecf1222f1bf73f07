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
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from qa import __version__

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
SEARCH_STAGES = ("encode", "retrieve", "fuse")

# Every label comes from a closed set, whatever clients send: the method from KNOWN_METHODS
# (else "other"), the route from the app's own templates (else "<unmatched>"), the status from
# the codes this API answers with (else its class). A flood of odd methods or paths adds no
# series. The histogram, 16 series per label set, keeps only the status class.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
KNOWN_STATUSES = frozenset({200, 204, 304, 400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 499, 500, 503})
REQUESTS = Counter(
    "qa_http_requests_total", "HTTP requests by method, route template and status.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "qa_http_request_duration_seconds",
    "HTTP request latency by method, route template and status class (2xx, 4xx, …).",
    ["method", "route", "status_class"],
    buckets=LATENCY_BUCKETS,
)
OVERLOADED = Counter(
    "qa_overloaded_total",
    "Requests refused with 503 because the encoder's queue (or the long queries' share of it) was full.",
)
EARLY_RETRIES_HELD = Counter(
    "qa_early_retries_held_total",
    "Requests held unread because their client retried before the Retry-After it was given.",
)
SEARCH_STAGE = Histogram(
    "qa_search_stage_seconds", "Search latency by stage (encode, retrieve, fuse).", ["stage"], buckets=STAGE_BUCKETS
)
RELOADS = Counter("qa_index_reloads_total", "Index reload attempts by outcome.", ["outcome"])
INDEX_PASSAGES = Gauge("qa_index_passages", "Passages in the served index.", multiprocess_mode="livemax")
INDEX_INFO = Gauge(
    "qa_index_info",
    "The served index version and the model that embedded it (value 1).",
    ["index_version", "model_id", "index_kind"],
    multiprocess_mode="livemax",
)
BUILD_INFO = Gauge(
    "qa_build_info", "Version of this service (value 1).", ["version", "python"], multiprocess_mode="livemax"
)
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


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


def status_label(status: int) -> str:
    return str(status) if status in KNOWN_STATUSES else f"{status // 100}xx"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method_label(method)
    REQUESTS.labels(method=method, route=route, status=status_label(status)).inc()
    LATENCY.labels(method=method, route=route, status_class=f"{status // 100}xx").observe(seconds)


def _describe_index(request: Request) -> None:
    holder = getattr(request.app.state, "holder", None)
    service = holder.service if holder is not None else None
    if service is None:
        return
    store = service.store
    INDEX_PASSAGES.set(store.size)
    INDEX_INFO.clear()  # the version label changes on reload
    INDEX_INFO.labels(
        index_version=store.version, model_id=service.encoder.model_id, index_kind=store.manifest.get("index_kind", "")
    ).set(1)


def _exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format."}
    },
)
async def metrics(request: Request) -> Response:  # async: never queued behind search threads
    """Prometheus metrics of this process (or of all workers, in multiprocess mode)."""
    _describe_index(request)
    return Response(_exposition(), media_type=CONTENT_TYPE_LATEST)
