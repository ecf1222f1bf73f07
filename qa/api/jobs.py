"""Document jobs: one background worker puts uploaded files into the corpus, rebuilds, and reloads.

A job runs after the request that made it has answered 202. Jobs run one at a time, in order,
so two uploads never race on the corpus folder or the index. The build writes a new index
version beside the live one (unchanged text is not embedded again) and the server switches to
it only when it is complete. When a step fails, the files the job replaced or removed are put
back, so corpus and index stay as they were, and the job says why.
"""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from qa.fsutil import atomic_copy, fsync_dir

log = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed"]
KEEP_JOBS = 1000


@dataclass
class Job:
    job_id: str
    doc_id: str
    kind: Literal["add", "delete"]
    status: Status = "queued"
    progress: float = 0.0
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None
    index_version: str | None = None
    # add: staged files to copy in; both: corpus file names to remove first.
    staged: list[Path] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    staging_dir: Path | None = None


class CorpusChange:
    """Swap files in the corpus folder with a way back: removed files are kept until commit."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        # Hidden inside the corpus folder (same file system; the corpus ignores dot names).
        self.backup = Path(tempfile.mkdtemp(prefix=".qa-backup-", dir=corpus_dir))
        self.added: list[Path] = []
        self.removed: list[str] = []

    def remove(self, name: str) -> None:
        path = self.corpus_dir / name
        if path.exists():
            shutil.copy2(path, self.backup / name)
            path.unlink()
            self.removed.append(name)

    def add(self, staged: Path) -> None:
        target = self.corpus_dir / staged.name
        if target.exists() and staged.name not in self.removed:
            self.remove(staged.name)
        atomic_copy(staged, target)
        self.added.append(target)

    def rollback(self) -> None:
        for path in self.added:
            path.unlink(missing_ok=True)
        for name in self.removed:
            atomic_copy(self.backup / name, self.corpus_dir / name)
        fsync_dir(self.corpus_dir)
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.backup, ignore_errors=True)


class JobQueue:
    """The jobs of this server process and the one worker thread that runs them."""

    def __init__(self, corpus_dir: Path, rebuild: Callable[[Callable[[float], None]], str]) -> None:
        """`rebuild(progress)` builds the index from the corpus folder, switches the server to
        it and returns the new version; it raises when either step fails."""
        self.corpus_dir = corpus_dir
        self.rebuild = rebuild
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, doc_id: str, kind: Literal["add", "delete"], staged: list[Path] | None = None,
               remove: list[str] | None = None, staging_dir: Path | None = None) -> Job:
        job = Job(uuid.uuid4().hex, doc_id, kind, staged=list(staged or []), remove=list(remove or []),
                  staging_dir=staging_dir)
        with self._lock:
            self.jobs[job.job_id] = job
            while len(self.jobs) > KEEP_JOBS:
                self.jobs.popitem(last=False)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="qa-documents", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def pending(self, doc_id: str) -> Job | None:
        """The latest job for this document that has not finished."""
        for job in reversed(self.jobs.values()):
            if job.doc_id == doc_id and job.status in ("queued", "running"):
                return job
        return None

    def wait_idle(self, timeout: float = 600) -> bool:
        """For tests and shutdown: True once every submitted job has finished."""
        deadline = time.monotonic() + timeout
        while any(j.status in ("queued", "running") for j in list(self.jobs.values())):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            except Exception:  # never let the worker die: the next job must still run
                log.exception("document job %s crashed", job.job_id)
            finally:
                self._queue.task_done()

    def _run(self, job: Job) -> None:
        job.status = "running"
        job.progress = 0.05
        change = CorpusChange(self.corpus_dir)
        try:
            # The document's current files (looked up now: an earlier job may have changed them).
            for name in job.remove or _files_of(self.corpus_dir, job.doc_id):
                change.remove(name)
            for staged in job.staged:
                change.add(staged)
            job.progress = 0.1

            def progress(share: float) -> None:
                job.progress = round(0.1 + 0.85 * max(0.0, min(1.0, share)), 3)

            job.index_version = self.rebuild(progress)
        except Exception as exc:
            change.rollback()
            job.status, job.error = "failed", _message(exc)
            log.warning("document job %s (%s %s) failed: %s", job.job_id, job.kind, job.doc_id, job.error)
        else:
            change.close()
            job.status, job.progress = "done", 1.0
        finally:
            job.finished = time.time()
            if job.staging_dir is not None:
                shutil.rmtree(job.staging_dir, ignore_errors=True)


def _files_of(corpus_dir: Path, doc_id: str) -> list[str]:
    from qa.corpus.sources import corpus_sources

    return [p.name for s in corpus_sources(corpus_dir) if s.doc_id == doc_id for p in s.files]


def _message(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:1000]
