"""Switch a running server to a new index version: on request (admin) or by watching the live version.

`qa build` / `qa ingest` finish a version in its own folder and only then replace CURRENT, and
load_index verifies every file's checksum and the model/corpus match, so a half-built,
corrupted or mismatched version is refused here and the previous one keeps serving.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from qa.api.metrics import RELOADS
from qa.service import ServiceHolder
from qa.store.backends import live_version_name
from qa.store.base import StoreError

log = logging.getLogger(__name__)


class NotLoaded(RuntimeError):
    pass


@dataclass
class ReloadOutcome:
    status: str  # "reloaded" | "unchanged"
    index_version: str
    previous_version: str


class IndexReloader:
    def __init__(self, holder: ServiceHolder, poll_seconds: float = 0.0) -> None:
        self.holder = holder
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()  # one reload at a time (admin call and watcher)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: str | None = None  # a version that failed: not retried every poll

    def live_name(self) -> str | None:
        return live_version_name(self.holder.settings)

    def reload(self) -> ReloadOutcome:
        """Load the live version if it differs from the served one; raises StoreError if refused."""
        with self._lock:
            service = self.holder.service
            if service is None:
                raise NotLoaded("the index is still loading")
            previous = service.store.version
            if self.live_name() == previous:
                return ReloadOutcome("unchanged", previous, previous)
            try:
                version = self.holder.reload()
            except StoreError:
                RELOADS.labels(outcome="refused").inc()
                raise
            RELOADS.labels(outcome="reloaded").inc()
            log.info("switched index %s → %s", previous, version)
            return ReloadOutcome("reloaded", version, previous)

    def poll_once(self) -> None:
        service = self.holder.service
        name = self.live_name()
        if service is None or name is None or name == service.store.version or name == self._refused:
            return
        try:
            self.reload()
            self._refused = None
        except StoreError as exc:
            self._refused = name
            log.error("index %s refused, still serving %s: %s", name, service.store.version, exc)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll_once()
            except Exception:  # never let the watcher die silently
                log.exception("index watcher failed; retrying at the next poll")

    def start(self) -> None:
        if self.poll_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="qa-index-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
