"""Pure helpers of the benchmark: latency summaries, recall, memory readings, free ports."""

from __future__ import annotations

import socket
from collections.abc import Sequence

import numpy as np


def latency_summary(seconds: Sequence[float]) -> dict:
    """p50/p95/p99/mean in milliseconds of a list of durations in seconds."""
    if not seconds:
        raise ValueError("no samples")
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded, or None when either side is missing or zero."""
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of each query's true top-k ids that the approximate top-k also returned."""
    found, truth = np.asarray(found)[:, :k], np.asarray(truth)[:, :k]
    if found.shape[0] != truth.shape[0]:
        raise ValueError("found and truth must have one row per query")
    hits = [len(set(f.tolist()) & set(t.tolist())) / k for f, t in zip(found, truth)]
    return float(np.mean(hits))


def proc_memory_mb(pid: int | str = "self") -> dict:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, from /proc, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
