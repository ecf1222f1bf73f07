"""The question log written in the background: a bounded buffer and one writer thread.

An ask puts its record in the buffer and returns; the writer stores records in batches. When
the database is down or slow the buffer fills and further records are dropped and counted
(`qa_analytics_dropped_total`, and a warning in the log at most once a minute): the loss of a
log line, never a failed or slowed ask.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from prometheus_client import Counter

from qa.state.analytics import AskRecord
from qa.state.db import StateStore

log = logging.getLogger(__name__)

DROPPED = Counter(
    "qa_analytics_dropped_total",
    "Question-log records lost (buffer full or the database failing); the asks themselves were served.",
)
WRITE_BATCH = 200
WARN_EVERY_SECONDS = 60.0
PURGE_EVERY_SECONDS = 6 * 3600.0
FLUSH_SECONDS = 30.0  # the longest a shutdown waits for the log to be written


@dataclass
class AskEvent:
    answer_id: str
    question: str
    lang: str
    script: str | None
    support: str
    confidence: float
    cited: list[str]
    latency_ms: float
    visitor: str
    kind: str = "ask"
    collection: str = "default"
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Recorder:
    def __init__(self, state: StateStore, capacity: int, purge: Callable[[], tuple[int, int]]) -> None:
        self.state = state
        self.purge = purge  # deletes what is past the retention period, every PURGE_EVERY_SECONDS
        self.buffer: queue.Queue[AskEvent] = queue.Queue(maxsize=capacity)
        self.dropped = 0
        self._last_warning = 0.0
        self._last_purge = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qa-analytics", daemon=True)
        self._thread.start()

    def record(self, event: AskEvent) -> None:
        if self._stop.is_set():
            self._drop(1, "the question log is closed")
            return
        try:
            self.buffer.put_nowait(event)
        except queue.Full:
            self._drop(1, "the question-log buffer is full")

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        DROPPED.inc(count)
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            log.warning("question log: %d record(s) dropped (%s); asks are unaffected", count, why)

    def _take_batch(self) -> list[AskEvent]:
        try:
            batch = [self.buffer.get(timeout=0.5)]
        except queue.Empty:
            return []
        while len(batch) < WRITE_BATCH:
            try:
                batch.append(self.buffer.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[AskEvent]) -> None:
        try:
            with self.state.session() as session:
                session.add_all(AskRecord(**asdict(event)) for event in batch)
        except Exception as exc:  # the database is down or refused: lose the lines, keep serving
            self._drop(len(batch), f"database error: {type(exc).__name__}")
        finally:
            for _ in batch:
                self.buffer.task_done()

    def _purge_on_schedule(self) -> None:
        now = time.monotonic()
        if self._last_purge and now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        try:
            self.purge()  # the owner's: Analytics.purge
        except Exception as exc:  # retried at the next period; never stops the writer
            log.warning("question log: purge failed (%s)", exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._purge_on_schedule()
            batch = self._take_batch()
            if batch:
                self._write(batch)

    def flush(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Wait until every record handed over so far is written or dropped (at most `timeout`
        seconds, and not at all once the writer has stopped); False if some are still waiting."""
        deadline = time.monotonic() + timeout
        with self.buffer.all_tasks_done:
            while self.buffer.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self.buffer.all_tasks_done.wait(min(remaining, 0.5))
        return True

    def close(self) -> None:
        self.flush()
        self._stop.set()
        self._thread.join(timeout=5)
