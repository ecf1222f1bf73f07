"""Document jobs: a worker puts uploaded files into the corpus, rebuilds, and reloads.

A job runs after the request that made it has answered 202. Jobs are rows of the state store
(qa.state.jobs), so they survive a restart and every worker and replica sees them; a worker
claims the oldest queued job with a transactional status update, so jobs run one at a time per
worker, in order, and no job runs twice. A job's length is bounded by the document limits
(QA_MAX_DOCUMENT_*), and any job can be cancelled (`cancel`, DELETE /v1/jobs/{id}, answered by
any replica), so a slow job delays the ones behind it by a bounded time, never forever. The build
writes a new index version beside the live one (unchanged text is not embedded again) and the
server switches to it only when it is complete. When a step fails or is cancelled, the files the
job replaced or removed are put back, so corpus and index stay as they were, and the job says why.

After a crash (qa.api.job_recovery) a job that was running is rolled back and queued again
rather than failed: its upload is still staged, so running it again is what the uploader asked
for, and the embedding cache keeps what it had embedded (`resumed` counts the texts reused).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from qa.api.job_recovery import CorpusChange, default_only, recover, this_process
from qa.corpus.errors import CorpusError
from qa.corpus.sources import corpus_sources, document_file_names
from qa.state.collections import DEFAULT_COLLECTION
from qa.state.db import StateStore, utcnow
from qa.state.jobs import (
    UNFINISHED,
    JobRow,
    add_job,
    cancel_queued,
    claim_next,
    get_job,
    jobs_with_status,
    latest_unfinished,
    prune_finished,
    report_progress,
    request_cancel,
)

log = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed", "cancelled"]
KEEP_JOBS = 1000
# How often a running job writes its progress to the state store and reads whether it was
# cancelled from another replica (a cancel made in this process is seen at once).
SYNC_SECONDS = 1.0
# How often a running job's heartbeat is written, whatever the build is doing (well inside
# qa.api.job_recovery.STALE_AFTER, after which another host's restart takes the job as dead).
HEARTBEAT_SECONDS = 30.0


class JobCancelled(Exception):
    """Raised inside a running job's rebuild once the job is cancelled."""


@dataclass
class Job:
    job_id: str
    doc_id: str
    kind: Literal["add", "delete"]
    collection: str = DEFAULT_COLLECTION
    status: Status = "queued"
    progress: float = 0.0
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    index_version: str | None = None
    # add: staged files to copy in; both: corpus file names to remove first.
    staged: list[Path] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    staging_dir: Path | None = None
    backup_dir: Path | None = None  # while running: the files the job removed, for a rollback
    texts_embedded: int = 0
    texts_expected: int | None = None  # an estimate, from the passages of the uploaded document
    resumed: int = 0  # texts the build took from the embedding cache instead of embedding
    note: str | None = None
    cancel_requested: bool = False

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left by the embedding speed so far (None before there is one)."""
        if self.status != "running" or not self.texts_embedded or not self.texts_expected or not self.started:
            return None
        left = max(0, self.texts_expected - self.texts_embedded)
        return round((time.time() - self.started) / self.texts_embedded * left, 1)

    def changes(self) -> dict[str, object]:
        """The columns a worker writes (never `cancel_requested`: another replica sets it)."""
        return {
            "status": self.status,
            "progress": self.progress,
            "error": self.error,
            "note": self.note,
            "started": _when(self.started),
            "finished": _when(self.finished),
            "index_version": self.index_version,
            "backup_dir": str(self.backup_dir) if self.backup_dir else None,
            "texts_embedded": self.texts_embedded,
            "resumed": self.resumed,
        }

    @classmethod
    def from_row(cls, row: JobRow) -> Job:
        return cls(
            job_id=row.job_id,
            doc_id=row.doc_id,
            kind="delete" if row.kind == "delete" else "add",
            collection=row.collection,
            status=row.status,  # type: ignore[arg-type]
            progress=row.progress,
            error=row.error,
            created=row.created.timestamp(),
            started=row.started.timestamp() if row.started else None,
            finished=row.finished.timestamp() if row.finished else None,
            index_version=row.index_version,
            staged=[Path(p) for p in row.staged],
            remove=list(row.remove),
            staging_dir=Path(row.staging_dir) if row.staging_dir else None,
            backup_dir=Path(row.backup_dir) if row.backup_dir else None,
            texts_embedded=row.texts_embedded,
            texts_expected=row.texts_expected,
            resumed=row.resumed,
            note=row.note,
            cancel_requested=row.cancel_requested,
        )


def _when(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


class JobProgress:
    """Handed to `rebuild`: call it with a share (0–1) of the build, `texts(n)` as texts are
    embedded, `reused(n)` with the texts taken from the embedding cache; each raises
    JobCancelled once the job is cancelled."""

    def __init__(self, job: Job, sync: Callable[[Job], bool] = lambda job: False) -> None:
        """`sync(job)` writes the job's progress and returns whether a cancel was asked."""
        self.job = job
        self._sync = sync
        self._synced = time.monotonic()

    def check(self) -> None:
        if time.monotonic() - self._synced >= SYNC_SECONDS:
            self._synced = time.monotonic()
            self.job.cancel_requested = self._sync(self.job) or self.job.cancel_requested
        if self.job.cancel_requested:
            raise JobCancelled("cancelled")

    def __call__(self, share: float) -> None:
        self.job.progress = max(self.job.progress, round(0.1 + 0.85 * max(0.0, min(1.0, share)), 3))
        self.check()

    def texts(self, count: int) -> None:
        job = self.job
        job.texts_embedded += count
        if job.texts_expected:
            self(0.9 * min(1.0, job.texts_embedded / job.texts_expected))
        else:
            self.check()

    def reused(self, count: int) -> None:
        self.job.resumed += count
        self.check()


class JobQueue:
    """The jobs in the state store, and this process's worker thread that runs them."""

    def __init__(
        self,
        corpus_dir: Path,
        rebuild: Callable[[JobProgress], str],
        state: StateStore,
        legacy_file: Path | None = None,
        corpus_of: Callable[[str], Path] | None = None,
    ) -> None:
        """`rebuild(progress)` builds the index of `progress.job.collection` from its corpus
        folder, switches the server to it and returns the new version; it raises when either
        step fails. `corpus_dir` is the default collection's corpus folder, `corpus_of(name)`
        any collection's. `legacy_file` is an older server's jobs.json, moved in once."""
        self.corpus_dir = corpus_dir
        self.corpus_of = corpus_of or default_only(corpus_dir)
        self.rebuild = rebuild
        self.state = state
        self.owner = this_process()
        self._running: Job | None = None  # the job this process runs (fresher than its row)
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        recover(corpus_dir, state, legacy_file, corpus_of)
        with state.session() as session:
            if jobs_with_status(session, "queued"):
                self._start_worker()

    def submit(
        self,
        doc_id: str,
        kind: Literal["add", "delete"],
        staged: list[Path] | None = None,
        remove: list[str] | None = None,
        staging_dir: Path | None = None,
        texts_expected: int | None = None,
        collection: str = DEFAULT_COLLECTION,
    ) -> Job:
        job = Job(
            uuid.uuid4().hex,
            doc_id,
            kind,
            collection,
            staged=list(staged or []),
            remove=list(remove or []),
            staging_dir=staging_dir,
            texts_expected=texts_expected,
        )
        row = JobRow(
            job_id=job.job_id,
            doc_id=doc_id,
            kind=kind,
            collection=collection,
            status="queued",
            progress=0.0,
            created=utcnow(),
            staged=[str(p) for p in job.staged],
            remove=job.remove,
            staging_dir=str(staging_dir) if staging_dir else None,
            texts_embedded=0,
            texts_expected=texts_expected,
            resumed=0,
            cancel_requested=False,
        )
        with self.state.session() as session:
            add_job(session, row)
            prune_finished(session, KEEP_JOBS)
        job.created = row.created.timestamp()
        self._start_worker()
        return job

    def _start_worker(self) -> None:
        with self._lock:
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="qa-documents", daemon=True)
                self._thread.start()

    def get(self, job_id: str) -> Job | None:
        running = self._running
        if running is not None and running.job_id == job_id:
            return running
        with self.state.session() as session:
            row = get_job(session, job_id)
            return Job.from_row(row) if row is not None else None

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job at once, a running one at its next progress step (its corpus
        change is then rolled back); a finished job is left as it is."""
        with self.state.session() as session:
            row = get_job(session, job_id)
            if row is None or row.status not in UNFINISHED:
                return Job.from_row(row) if row is not None else None
            if cancel_queued(session, job_id, "cancelled before it ran"):
                if row.staging_dir:
                    shutil.rmtree(row.staging_dir, ignore_errors=True)
            else:
                request_cancel(session, job_id)
        running = self._running
        if running is not None and running.job_id == job_id:
            running.cancel_requested = True
        return self.get(job_id)

    def pending(self, doc_id: str, collection: str = DEFAULT_COLLECTION) -> Job | None:
        """The latest job for this document of `collection` that has not finished."""
        with self.state.session() as session:
            row = latest_unfinished(session, doc_id, collection)
            found = Job.from_row(row) if row is not None else None
        running = self._running
        return running if found and running and running.job_id == found.job_id else found

    def wait_idle(self, timeout: float = 600) -> bool:
        """For tests and shutdown: True once no job in the state store is left unfinished."""
        deadline = time.monotonic() + timeout
        while True:
            with self.state.session() as session:
                if not jobs_with_status(session, *UNFINISHED):
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def _work(self) -> None:
        while True:
            self._wake.clear()
            try:
                with self.state.session() as session:
                    row = claim_next(session, self.owner)
                    job = Job.from_row(row) if row is not None else None
            except Exception:  # the database is away: try again when woken or on the next submit
                log.exception("could not read the document jobs")
                job = None
            if job is None:
                with self._lock:
                    if not self._wake.is_set():  # nothing was submitted meanwhile: stop
                        self._thread = None
                        return
                continue
            self._running = job
            try:
                self._run(job)
            except Exception:  # never let the worker die: the next job must still run
                log.exception("document job %s crashed", job.job_id)
            finally:
                self._running = None

    def _sync(self, job: Job) -> bool:
        with self.state.session() as session:
            return report_progress(session, job.job_id, **job.changes())

    def _beat(self, job_id: str, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                with self.state.session() as session:
                    report_progress(session, job_id)
            except Exception as exc:  # a missed beat only matters for 5 minutes of them
                log.warning("could not write the heartbeat of job %s (%s)", job_id, exc)

    def _run(self, job: Job) -> None:
        stop = threading.Event()
        threading.Thread(target=self._beat, args=(job.job_id, stop), name="qa-job-heartbeat", daemon=True).start()
        try:
            self._run_steps(job)
        finally:
            stop.set()

    def _run_steps(self, job: Job) -> None:
        try:
            corpus_dir = self.corpus_of(job.collection)
            change = CorpusChange(corpus_dir)
        except (LookupError, OSError) as exc:  # its collection was deleted since, or is unknown here
            job.status, job.error, job.finished = "failed", _message(exc), time.time()
            self._sync(job)
            return
        job.backup_dir = change.backup
        self._sync(job)  # from here a crash is rolled back at the next start
        try:
            # The document's current files (looked up now: an earlier job may have changed them).
            for name in job.remove or _files_of(corpus_dir, job.doc_id):
                change.remove(name)
            for staged in job.staged:
                change.add(staged)
            job.progress = 0.1
            job.index_version = self.rebuild(JobProgress(job, self._sync))
        except Exception as exc:
            change.rollback()
            if isinstance(exc, JobCancelled):
                job.status, job.error = "cancelled", "cancelled while running; the corpus is as it was"
            else:
                job.status, job.error = "failed", _message(exc)
            log.warning("document job %s (%s %s) %s: %s", job.job_id, job.kind, job.doc_id, job.status, job.error)
        else:
            change.close()
            job.status, job.progress = "done", 1.0
        finally:
            job.finished, job.backup_dir = time.time(), None
            if job.staging_dir is not None:
                shutil.rmtree(job.staging_dir, ignore_errors=True)
            self._sync(job)


def _files_of(corpus_dir: Path, doc_id: str) -> list[str]:
    try:
        return [name for s in corpus_sources(corpus_dir) if s.doc_id == doc_id for name in document_file_names(s)]
    except CorpusError:
        return []


def _message(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:1000]
