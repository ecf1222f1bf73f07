"""Document jobs: one background worker puts uploaded files into the corpus, rebuilds, and reloads.

A job runs after the request that made it has answered 202. Jobs run one at a time, in order,
so two uploads never race on the corpus folder or the index; a job's length is bounded by the
document limits (QA_MAX_DOCUMENT_*: units, paragraphs, characters), and any job can be
cancelled (`cancel`, DELETE /v1/jobs/{id}), so a slow job delays the ones behind it by a bounded
time, never forever. The build writes a new index version beside the live one (unchanged text
is not embedded again) and the server switches to it only when it is complete. When a step
fails or is cancelled, the files the job replaced or removed are put back, so corpus and index
stay as they were, and the job says why.

Jobs are written to a small JSON file in the index folder (`JobRecords`), so they survive a
restart: at start (`recover`), a job that was running is rolled back (its corpus change
undone, so the last good index is served at once) and queued again, and staging or backup
folders that no job needs any more are removed.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from qa.fsutil import atomic_copy, atomic_write_json, fsync_dir

log = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed", "cancelled"]
UNFINISHED = ("queued", "running")
KEEP_JOBS = 1000
STAGING_PREFIX = ".qa-upload-"  # hidden in the corpus folder (the corpus ignores dot names)
BACKUP_PREFIX = ".qa-backup-"
JOBS_FILE = "jobs.json"
RESUMED_NOTE = (
    "interrupted by a server restart: its corpus change was rolled back and the job "
    "queued again (texts embedded before the restart are embedded again)"
)


class JobCancelled(Exception):
    """Raised inside a running job's rebuild once the job is cancelled."""


@dataclass
class Job:
    job_id: str
    doc_id: str
    kind: Literal["add", "delete"]
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
    note: str | None = None
    cancel_requested: bool = False

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left by the embedding speed so far (None before there is one)."""
        if self.status != "running" or not self.texts_embedded or not self.texts_expected or not self.started:
            return None
        left = max(0, self.texts_expected - self.texts_embedded)
        return round((time.time() - self.started) / self.texts_embedded * left, 1)

    def to_record(self) -> dict:
        record = asdict(self)
        record.pop("cancel_requested")
        for key in ("staging_dir", "backup_dir"):
            record[key] = str(record[key]) if record[key] is not None else None
        record["staged"] = [str(p) for p in self.staged]
        return record

    @classmethod
    def from_record(cls, record: dict) -> Job:
        known = {k: v for k, v in record.items() if k in cls.__dataclass_fields__}
        job = cls(**known)
        job.staged = [Path(p) for p in job.staged]
        job.staging_dir = Path(job.staging_dir) if job.staging_dir else None
        job.backup_dir = Path(job.backup_dir) if job.backup_dir else None
        return job


class JobRecords:
    """Where jobs are kept between restarts: one JSON file, replaced atomically on each change.
    (The one place to swap for a shared state store.)"""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> list[Job]:
        if self.path is None or not self.path.is_file():
            return []
        try:
            return [Job.from_record(r) for r in json.loads(self.path.read_text(encoding="utf-8"))]
        except (ValueError, TypeError, KeyError) as exc:  # damaged: start afresh, say so
            log.warning("ignoring the job records in %s (%s)", self.path, exc)
            return []

    def save(self, jobs: list[Job]) -> None:
        if self.path is None:
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path, [j.to_record() for j in jobs])


class CorpusChange:
    """Swap files in the corpus folder with a way back: removed files are kept until commit."""

    def __init__(self, corpus_dir: Path, backup: Path | None = None) -> None:
        self.corpus_dir = corpus_dir
        # Hidden inside the corpus folder (same file system; the corpus ignores dot names).
        self.backup = backup or Path(tempfile.mkdtemp(prefix=BACKUP_PREFIX, dir=corpus_dir))
        self.added: list[Path] = []
        self.removed: list[str] = []

    def remove(self, name: str) -> None:
        path = self.corpus_dir / name
        if path.exists():
            atomic_copy(path, self.backup / name)  # whole in the backup before the original goes
            path.unlink()
            self.removed.append(name)

    def add(self, staged: Path) -> None:
        target = self.corpus_dir / staged.name
        if target.exists() and staged.name not in self.removed:
            self.remove(staged.name)
        atomic_copy(staged, target)
        self.added.append(target)

    def rollback(self, added_names: list[str] = ()) -> None:
        """Undo: remove what was added (also `added_names`, for a change interrupted by a
        crash), and put back every file of the backup."""
        for path in [*self.added, *(self.corpus_dir / n for n in added_names)]:
            path.unlink(missing_ok=True)
        for saved in self.backup.iterdir() if self.backup.is_dir() else ():
            atomic_copy(saved, self.corpus_dir / saved.name)
        fsync_dir(self.corpus_dir)
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.backup, ignore_errors=True)


class JobProgress:
    """Handed to `rebuild`: call it with a share (0–1) of the build, `texts(n)` as texts are
    embedded; both raise JobCancelled once the job is cancelled."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def check(self) -> None:
        if self.job.cancel_requested:
            raise JobCancelled("cancelled")

    def __call__(self, share: float) -> None:
        self.check()
        self.job.progress = max(self.job.progress, round(0.1 + 0.85 * max(0.0, min(1.0, share)), 3))

    def texts(self, count: int) -> None:
        self.check()
        job = self.job
        job.texts_embedded += count
        if job.texts_expected:
            self(0.9 * min(1.0, job.texts_embedded / job.texts_expected))


class JobQueue:
    """The jobs of this server and the one worker thread that runs them."""

    def __init__(
        self, corpus_dir: Path, rebuild: Callable[[JobProgress], str], records: JobRecords | None = None
    ) -> None:
        """`rebuild(progress)` builds the index from the corpus folder, switches the server to
        it and returns the new version; it raises when either step fails."""
        self.corpus_dir = corpus_dir
        self.rebuild = rebuild
        self.records = records or JobRecords(None)
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        for job in recover(corpus_dir, self.records):
            self.jobs[job.job_id] = job
        for job in self.jobs.values():
            if job.status == "queued":
                self._enqueue(job)

    def submit(
        self,
        doc_id: str,
        kind: Literal["add", "delete"],
        staged: list[Path] | None = None,
        remove: list[str] | None = None,
        staging_dir: Path | None = None,
        texts_expected: int | None = None,
    ) -> Job:
        job = Job(
            uuid.uuid4().hex,
            doc_id,
            kind,
            staged=list(staged or []),
            remove=list(remove or []),
            staging_dir=staging_dir,
            texts_expected=texts_expected,
        )
        with self._lock:
            self.jobs[job.job_id] = job
            while len(self.jobs) > KEEP_JOBS:
                self.jobs.popitem(last=False)
        self._save()
        self._enqueue(job)
        return job

    def _enqueue(self, job: Job) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="qa-documents", daemon=True)
                self._thread.start()
        self._queue.put(job)

    def _save(self) -> None:
        with self._lock:
            jobs = list(self.jobs.values())
        self.records.save(jobs)

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job at once, a running one at its next progress step (its corpus
        change is then rolled back); a finished job is left as it is."""
        job = self.jobs.get(job_id)
        if job is None or job.status not in UNFINISHED:
            return job
        job.cancel_requested = True
        if job.status == "queued":
            job.status, job.finished, job.error = "cancelled", time.time(), "cancelled before it ran"
            _discard_staging(job)
            self._save()
        return job

    def pending(self, doc_id: str) -> Job | None:
        """The latest job for this document that has not finished."""
        for job in reversed(self.jobs.values()):
            if job.doc_id == doc_id and job.status in UNFINISHED:
                return job
        return None

    def wait_idle(self, timeout: float = 600) -> bool:
        """For tests and shutdown: True once every submitted job has finished."""
        deadline = time.monotonic() + timeout
        while any(j.status in UNFINISHED for j in list(self.jobs.values())):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job.status == "queued":  # not cancelled meanwhile
                    self._run(job)
            except Exception:  # never let the worker die: the next job must still run
                log.exception("document job %s crashed", job.job_id)
            finally:
                self._queue.task_done()

    def _run(self, job: Job) -> None:
        job.status, job.started, job.progress = "running", time.time(), 0.05
        change = CorpusChange(self.corpus_dir)
        job.backup_dir = change.backup
        self._save()  # from here a crash is rolled back at the next start
        try:
            # The document's current files (looked up now: an earlier job may have changed them).
            for name in job.remove or _files_of(self.corpus_dir, job.doc_id):
                change.remove(name)
            for staged in job.staged:
                change.add(staged)
            job.progress = 0.1
            job.index_version = self.rebuild(JobProgress(job))
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
            _discard_staging(job)
            self._save()


def recover(corpus_dir: Path, records: JobRecords) -> list[Job]:
    """After a restart: roll back the corpus change of every job that was running (so the
    index matches the corpus and is served at once), queue it again when its files are still
    staged, and remove the staging and backup folders no job needs. Safe to call twice."""
    jobs = records.load()
    for job in jobs:
        if job.status == "running":
            if job.backup_dir is not None:
                CorpusChange(corpus_dir, job.backup_dir).rollback([p.name for p in job.staged])
            job.backup_dir, job.progress, job.texts_embedded = None, 0.0, 0
            job.status, job.note = "queued", RESUMED_NOTE
            log.warning("document job %s was interrupted; rolled back and queued again", job.job_id)
        if job.status == "queued" and not all(p.is_file() for p in job.staged):
            job.status, job.finished = "failed", time.time()
            job.error = "its uploaded files were lost in a server restart; upload again"
    needed = {j.staging_dir for j in jobs if j.status == "queued" and j.staging_dir is not None}
    for leftover in corpus_dir.glob(".qa-*") if corpus_dir.is_dir() else ():
        if leftover.is_dir() and leftover.name.startswith((STAGING_PREFIX, BACKUP_PREFIX)) and leftover not in needed:
            shutil.rmtree(leftover, ignore_errors=True)
            log.info("removed the leftover %s", leftover)
    if jobs:
        records.save(jobs)
    return jobs


def _discard_staging(job: Job) -> None:
    if job.staging_dir is not None:
        shutil.rmtree(job.staging_dir, ignore_errors=True)


def _files_of(corpus_dir: Path, doc_id: str) -> list[str]:
    from qa.corpus.sources import corpus_sources, document_file_names

    return [name for s in corpus_sources(corpus_dir) if s.doc_id == doc_id for name in document_file_names(s)]


def _message(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:1000]
