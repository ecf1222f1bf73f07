"""A bounded, cost-aware batching queue, and the query encoder built on it.

The packaged encoders run one call at a time (they hold a lock), so under concurrency each
request would queue behind the others and pay a full single-text encode. One worker thread
instead processes everything that queued up meanwhile in a single call, which costs far less
per item. A lone caller is processed at once; the worker waits (≤ `max_wait_ms`) for company
only while the previous batch showed concurrent traffic.

The queue is bounded in *cost* (for queries: encoder tokens), not in items: a caller whose item
would push the work waiting or running past `max_pending_cost` gets `QueueFull` at once, with
an estimate of when to retry, instead of waiting without bound.

The worker's time is shared fairly between clients (weighted fair queuing by cost). The caller
names its client in the context variable `ENCODER_CLIENT` (the API sets it per request); each
client's items get increasing virtual finish tags (its previous tag, or the queue's virtual
time when it has nothing waiting, plus the item's cost) and the smallest tag runs next. A
client flooding the encoder only lengthens its own line: a client with nothing waiting is
served next, after at most the batch already running. The bound too is per client: when the
queue is full, a client that has nothing waiting is still admitted (up to twice the bound),
while the ones already waiting are refused. An item without a named client is its own flow
(tag = virtual time + cost): cheap items overtake expensive ones waiting, and an expensive one
waits at most for about its own cost of cheaper, later work: never starved.

A queue can also cap the share of the worker's time that *large* items take together
(`large_cost`, `large_share`): their estimated running time is spent from a bucket refilled at
`large_share` seconds per second; when it is empty they get `QueueFull` at once. A flood of
long queries, from however many clients, then leaves the encoder free most of the time, and
a short query rarely finds one running (it cannot be interrupted, so that is what it waits for).

Generic on purpose (nothing here knows about search): `process` turns a list of items into
their results in the same order, `cost` prices one item.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from qa.embed.tokens import truncate_to_tokens

Item = TypeVar("Item")
Result = TypeVar("Result")

DEFAULT_MAX_BATCH = 16
DEFAULT_MAX_WAIT_MS = 2.0
DEFAULT_MAX_PENDING_COST = 2048
# Batching pays for short queries (one call's overhead shared); long ones cost per token anyway.
# So a model call holds many queries only up to this many tokens, and a query arriving
# meanwhile waits for at most about that much work (or one long query).
DEFAULT_MAX_BATCH_TOKENS = 256
# Past the bound, a client with nothing waiting is still admitted up to this many times it.
FAIR_OVERFLOW = 2
FORGET_CLIENTS_OVER = 10_000  # idle clients' tags are dropped past this many remembered
# Queries over this many tokens (four times a typical question) count as long.
LONG_QUERY_TOKENS = 64
LARGE_BURST_SECONDS = 1.0  # large items may take this much time at once before the share applies
_SMOOTHING = 0.2  # weight of the newest batch in the speed estimate

# Who is asking (e.g. "key:…" or "ip:…"), for fair queuing; None = an anonymous flow per item.
ENCODER_CLIENT: ContextVar[str | None] = ContextVar("qa_encoder_client", default=None)


class QueueFull(RuntimeError):
    """The item would push the pending cost past the bound; retry after `retry_after` seconds."""

    def __init__(self, cost: int, pending: int, limit: int, retry_after: float) -> None:
        super().__init__(f"the queue is full: {pending} of {limit} units of work pending, this item costs {cost}")
        self.cost, self.pending, self.limit = cost, pending, limit
        self.retry_after = retry_after


@dataclass
class _Job(Generic[Item, Result]):
    item: Item
    cost: int
    client: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: Result | None = None
    error: BaseException | None = None


class BoundedBatchQueue(Generic[Item, Result]):
    """`submit(item)` blocks until `process` has handled the item in some batch and returns its
    result, or raises `QueueFull` at once when the queue is full (or `process`'s error).

    An item costlier than the whole bound is admitted only when nothing else is pending, so it
    runs alone rather than never.
    """

    def __init__(
        self,
        process: Callable[[list[Item]], Sequence[Result]],
        cost: Callable[[Item], int],
        max_batch: int = DEFAULT_MAX_BATCH,
        max_pending_cost: int = DEFAULT_MAX_PENDING_COST,
        *,
        max_batch_cost: int | None = None,
        max_wait_ms: float = DEFAULT_MAX_WAIT_MS,
        large_cost: int | None = None,
        large_share: float = 1.0,
        name: str = "qa-batch-queue",
    ) -> None:
        if max_batch < 1 or max_pending_cost < 1 or max_wait_ms < 0 or not 0 < large_share <= 1:
            raise ValueError("max_batch and max_pending_cost must be ≥ 1, max_wait_ms ≥ 0, 0 < large_share ≤ 1")
        self.process = process
        self.cost = cost
        self.max_batch = max_batch
        self.max_pending_cost = max_pending_cost
        self.max_batch_cost = max_batch_cost
        self.max_wait = max_wait_ms / 1e3
        self.large_cost = large_cost if large_share < 1 else None
        self.large_share = large_share
        self._large_budget = LARGE_BURST_SECONDS  # seconds of worker time large items may take
        self._large_refilled = time.monotonic()
        self.name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Job]] = []
        self._order = itertools.count()
        self._pending = 0  # cost waiting + cost being processed
        self._client_pending: dict[str, int] = {}
        self._virtual = 0.0  # the finish tag of the last item taken
        self._last_tag: dict[str, float] = {}  # each client's latest finish tag
        # Seconds per unit of cost, as recent seconds / recent cost (so big batches weigh most);
        # a first guess until measured.
        self._recent_seconds, self._recent_cost = 1e-3, 1.0
        self._last_batch_size = 1
        self._worker: threading.Thread | None = None

    @property
    def pending_cost(self) -> int:
        return self._pending

    @property
    def _seconds_per_cost(self) -> float:
        return self._recent_seconds / self._recent_cost

    def retry_after(self) -> float:
        """Seconds until the work pending now is done, by the measured speed."""
        return self._pending * self._seconds_per_cost

    def submit(self, item: Item) -> Result:
        return self.submit_many([item])[0]

    def submit_many(self, items: Sequence[Item]) -> list[Result]:
        """Admit all of `items` or none (QueueFull), then wait for all their results."""
        if not items:
            return []
        client = ENCODER_CLIENT.get()
        jobs = [_Job(item, max(1, int(self.cost(item))), client) for item in items]
        total = sum(job.cost for job in jobs)
        with self._cond:
            if self._pending and self._pending + total > self._bound_for(client):
                raise QueueFull(total, self._pending, self.max_pending_cost, max(self.retry_after(), 1e-3))
            self._spend_large_share(jobs)
            self._pending += total
            if client is not None:
                self._client_pending[client] = self._client_pending.get(client, 0) + total
            for job in jobs:
                heapq.heappush(self._heap, (self._tag(job), next(self._order), job))
            self._ensure_worker()
            self._cond.notify()
        for job in jobs:
            job.done.wait()
        for job in jobs:
            if job.error is not None:
                raise job.error
        return [job.result for job in jobs]

    def _bound_for(self, client: str | None) -> int:  # called holding the lock
        """The pending cost this client's item may bring the queue to: the bound, or, for a
        named client with nothing waiting, FAIR_OVERFLOW times it (the flood is refused, not
        the client that waits its turn)."""
        if client is not None and not self._client_pending.get(client):
            return FAIR_OVERFLOW * self.max_pending_cost
        return self.max_pending_cost

    def _tag(self, job: _Job) -> float:  # called holding the lock
        if job.client is None:
            return self._virtual + job.cost
        tag = max(self._virtual, self._last_tag.get(job.client, 0.0)) + job.cost
        self._last_tag[job.client] = tag
        if len(self._last_tag) > FORGET_CLIENTS_OVER:  # those behind the virtual time are idle
            self._last_tag = {c: t for c, t in self._last_tag.items() if t > self._virtual}
        return tag

    def _spend_large_share(self, jobs: list[_Job]) -> None:  # called holding the lock
        if self.large_cost is None:
            return
        seconds = sum(j.cost for j in jobs if j.cost > self.large_cost) * self._seconds_per_cost
        if not seconds:
            return
        now = time.monotonic()
        self._large_budget = min(
            LARGE_BURST_SECONDS, self._large_budget + (now - self._large_refilled) * self.large_share
        )
        self._large_refilled = now
        need = min(seconds, LARGE_BURST_SECONDS)  # one item longer than the burst runs alone
        if self._large_budget < need:
            raise QueueFull(
                sum(j.cost for j in jobs),
                self._pending,
                self.max_pending_cost,
                (need - self._large_budget) / self.large_share,
            )
        self._large_budget -= seconds  # may go below zero: the debt is paid before the next

    def _ensure_worker(self) -> None:  # called holding the lock
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._worker.start()

    def _take(self) -> list[_Job]:
        """The next batch: smallest finish tag first, within the item and cost limits."""
        with self._cond:
            while not self._heap:
                self._cond.wait()
            if self._last_batch_size > 1:  # concurrent traffic: give the others a moment to join
                deadline = time.monotonic() + self.max_wait
                while len(self._heap) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
            batch: list[_Job] = []
            cost = 0
            while self._heap and len(batch) < self.max_batch:
                job = self._heap[0][2]
                if batch and self.max_batch_cost is not None and cost + job.cost > self.max_batch_cost:
                    break
                tag = heapq.heappop(self._heap)[0]
                self._virtual = max(self._virtual, tag)
                batch.append(job)
                cost += job.cost
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            self._last_batch_size = len(batch)
            started = time.perf_counter()
            try:
                results = list(self.process([job.item for job in batch]))
                if len(results) != len(batch):
                    raise RuntimeError(f"process returned {len(results)} results for {len(batch)} items")
            except BaseException as exc:  # handed to every caller of this batch
                results = None
                for job in batch:
                    job.error = exc
            cost = sum(job.cost for job in batch)
            seconds = time.perf_counter() - started
            with self._cond:
                self._pending -= cost
                for job in batch:
                    if job.client is not None:
                        left = self._client_pending.get(job.client, 0) - job.cost
                        if left > 0:
                            self._client_pending[job.client] = left
                        else:
                            self._client_pending.pop(job.client, None)
                if results is not None:
                    self._recent_seconds += _SMOOTHING * (seconds - self._recent_seconds)
                    self._recent_cost += _SMOOTHING * (cost - self._recent_cost)
            for i, job in enumerate(batch):
                if results is not None:
                    job.result = results[i]
                job.done.set()


def retry_after_seconds(exc: QueueFull) -> str:
    """The Retry-After header value (whole seconds, at least 1) for a QueueFull."""
    return str(max(1, math.ceil(exc.retry_after)))


def _c_safe(text: str) -> str:
    # The packaged engines read C strings: a NUL would silently end the text there.
    return text.replace("\x00", " ") if "\x00" in text else text


class BatchingEncoder:
    """Wraps an Encoder; `encode_queries` goes through a BoundedBatchQueue priced by `cost`
    (encoder tokens) and may raise QueueFull; everything else delegates to the encoder."""

    def __init__(
        self,
        encoder,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_pending_cost: int = DEFAULT_MAX_PENDING_COST,
        cost: Callable[[str], int] | None = None,
        max_wait_ms: float = DEFAULT_MAX_WAIT_MS,
        max_batch_cost: int | None = DEFAULT_MAX_BATCH_TOKENS,
        long_query_share: float = 1.0,
        max_tokens: int | None = None,
    ) -> None:
        self.encoder = encoder
        self.count = cost or (lambda text: 1)
        # A query over max_tokens is encoded from its first max_tokens tokens, and costs that.
        self.max_tokens = max_tokens if cost is not None else None
        price = self.count if self.max_tokens is None else (lambda t: min(self.count(t), self.max_tokens))
        self.queue: BoundedBatchQueue[str, np.ndarray] = BoundedBatchQueue(
            self._encode,
            price,
            max_batch,
            max_pending_cost,
            max_batch_cost=max_batch_cost,
            max_wait_ms=max_wait_ms,
            large_cost=LONG_QUERY_TOKENS,
            large_share=long_query_share,
            name="qa-query-batcher",
        )

    def __getattr__(self, name: str):
        # model_id, dimension, model, encode_documents, ...: the wrapped encoder's own.
        if name == "encoder":  # not set yet (e.g. during copy): no recursion
            raise AttributeError(name)
        return getattr(self.encoder, name)

    def _fit(self, text: str) -> str:
        text = _c_safe(text)
        if self.max_tokens is None:
            return text
        return truncate_to_tokens(text, self.max_tokens, self.count)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode_queries([self._fit(t) for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.encoder.encode_queries(texts)
        return np.stack(self.queue.submit_many(list(texts)))
