"""Micro-batching of concurrent query encodings: one encoder call for many waiting callers.

The packaged encoders run one call at a time (they hold a lock), so under concurrency each
request queues behind the others and pays a full single-text encode. One worker thread
instead encodes everything that queued up meanwhile in a single call, which costs far less
per text. A lone caller is encoded at once; the worker waits (≤ `max_wait_ms`) for company
only while the previous batch showed concurrent traffic.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np

DEFAULT_MAX_BATCH = 16
DEFAULT_MAX_WAIT_MS = 2.0


@dataclass
class _Job:
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEncoder:
    """Wraps an Encoder; `encode_queries` is thread-safe and batched, everything else delegates."""

    def __init__(self, encoder, max_batch: int = DEFAULT_MAX_BATCH,
                 max_wait_ms: float = DEFAULT_MAX_WAIT_MS) -> None:
        if max_batch < 1 or max_wait_ms < 0:
            raise ValueError("max_batch must be ≥ 1 and max_wait_ms ≥ 0")
        self.encoder = encoder
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1e3
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._last_batch_jobs = 1

    def __getattr__(self, name: str):
        # model_id, dimension, model, encode_documents, ...: the wrapped encoder's own.
        if name == "encoder":  # not set yet (e.g. during copy): no recursion
            raise AttributeError(name)
        return getattr(self.encoder, name)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.encoder.encode_queries(texts)
        self._ensure_worker()
        job = _Job(list(texts))
        self._jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.vectors

    def _ensure_worker(self) -> None:
        if self._worker is None:
            with self._start_lock:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._run, name="qa-query-batcher", daemon=True)
                    self._worker.start()

    def _collect(self, first: _Job) -> list[_Job]:
        """The first job plus whatever is queued, waiting briefly only under concurrent load."""
        batch, size = [first], len(first.texts)
        wait = self.max_wait if self._last_batch_jobs > 1 else 0.0
        deadline = time.perf_counter() + wait
        while size < self.max_batch:
            remaining = deadline - time.perf_counter()
            try:
                job = self._jobs.get(timeout=remaining) if remaining > 0 else self._jobs.get_nowait()
            except queue.Empty:
                break
            batch.append(job)
            size += len(job.texts)
        return batch

    def _run(self) -> None:
        while True:
            batch = self._collect(self._jobs.get())
            self._last_batch_jobs = len(batch)
            try:
                vectors = self.encoder.encode_queries([t for job in batch for t in job.texts])
            except BaseException as exc:  # handed to every caller of this batch
                for job in batch:
                    job.error = exc
                    job.done.set()
                continue
            start = 0
            for job in batch:
                job.vectors = vectors[start:start + len(job.texts)]
                start += len(job.texts)
                job.done.set()
