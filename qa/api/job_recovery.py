"""What a document job changes on disk, and putting it right after a crash.

`CorpusChange` swaps files in the corpus folder with a way back. `recover` runs at start (before
the index is opened): every job whose worker died mid-run has its corpus change rolled back, so
the last good index matches the corpus and is served at once, and is queued again; staging and
backup folders no job needs any more are removed. A job still running in a live process (another
worker of this host, or another replica that keeps its heartbeat) is left alone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qa.fsutil import atomic_copy, fsync_dir
from qa.state.collections import DEFAULT_COLLECTION
from qa.state.db import StateStore, utcnow
from qa.state.jobs import JobRow, add_job, get_job, job_collections, jobs_with_status

log = logging.getLogger(__name__)

STAGING_PREFIX = ".qa-upload-"  # hidden in the corpus folder (the corpus ignores dot names)
BACKUP_PREFIX = ".qa-backup-"
LEGACY_JOBS_FILE = "jobs.json"  # where jobs were kept before the state store held them
# A job another host runs, silent this long, is taken as interrupted (its worker writes a
# heartbeat every qa.api.jobs.HEARTBEAT_SECONDS while it runs).
STALE_AFTER = timedelta(minutes=5)
REQUEUED_NOTE = (
    "interrupted by a server restart: its corpus change was rolled back and the job queued "
    "again; what it had embedded is reused from the embedding cache (see `resumed`)"
)


def this_process() -> str:
    """The owner name of jobs this process runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def default_only(corpus_dir: Path) -> Callable[[str], Path]:
    """The corpus folders of a caller that knows only the collection `default` (`corpus_dir`)."""

    def folder(name: str) -> Path:
        if name != DEFAULT_COLLECTION:
            raise LookupError(f"the corpus folder of the collection '{name}' is not known here")
        return corpus_dir

    return folder


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

    def rollback(self, added_names: list[str] | tuple[str, ...] = ()) -> None:
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


def _owner_gone(row: JobRow) -> bool:
    """Whether the process that claimed this running job has died."""
    host, _, pid = (row.owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return True  # this process has just started: the claim is a former life's
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return row.heartbeat is None or utcnow() - row.heartbeat > STALE_AFTER


def recover(
    corpus_dir: Path,
    state: StateStore,
    legacy_file: Path | None = None,
    corpus_of: Callable[[str], Path] | None = None,
) -> None:
    """After a restart: roll back and queue again every job whose process died while running
    it, fail queued jobs whose staged files are gone, and remove the staging and backup folders
    no job needs. `corpus_dir` is the default collection's corpus folder, `corpus_of(name)` any
    collection's (each job is rolled back, and leftovers cleaned, in its own collection's).
    Safe to call twice and from several workers at once."""
    folder_of = corpus_of or default_only(corpus_dir)
    if legacy_file is not None:
        import_legacy(legacy_file, state)
    with state.session() as session:
        for row in jobs_with_status(session, "running"):
            if not _owner_gone(row):
                continue
            try:
                folder = folder_of(row.collection)
            except LookupError as exc:  # left for a server that knows the collection
                log.warning("document job %s not recovered: %s", row.job_id, exc)
                continue
            if row.backup_dir is not None and folder.is_dir():  # a deleted collection has no folder
                CorpusChange(folder, Path(row.backup_dir)).rollback([Path(p).name for p in row.staged])
            row.owner, row.backup_dir, row.progress, row.texts_embedded = None, None, 0.0, 0
            if row.cancel_requested:  # it was being cancelled: the rollback finished that
                row.status, row.finished = "cancelled", utcnow()
                row.error = "cancelled while running; the corpus is as it was"
            else:
                row.status, row.note = "queued", REQUEUED_NOTE
            log.warning("document job %s was interrupted; rolled back and %s", row.job_id, row.status)
        for row in jobs_with_status(session, "queued"):
            if not all(Path(p).is_file() for p in row.staged):
                row.status, row.finished = "failed", utcnow()
                row.error = "its uploaded files were lost in a server restart; upload again"
        needed = {
            Path(p)
            for row in jobs_with_status(session, "queued", "running")
            for p in (row.staging_dir, row.backup_dir)
            if p is not None
        }
        folders = {corpus_dir}
        for name in job_collections(session):
            try:
                folders.add(folder_of(name))
            except LookupError:
                pass
    for folder in sorted(folders):
        _remove_leftovers(folder, needed)


def _remove_leftovers(corpus_dir: Path, needed: set[Path]) -> None:
    """Remove the staging and backup folders in `corpus_dir` that no job needs."""
    for leftover in corpus_dir.glob(".qa-*") if corpus_dir.is_dir() else ():
        if leftover.is_dir() and leftover.name.startswith((STAGING_PREFIX, BACKUP_PREFIX)) and leftover not in needed:
            shutil.rmtree(leftover, ignore_errors=True)
            log.info("removed the leftover %s", leftover)


def import_legacy(path: Path, state: StateStore) -> None:
    """Move the jobs of an older server's jobs.json into the state store, once."""
    if not path.is_file():
        return
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        with state.session() as session:
            for record in records:
                if get_job(session, record["job_id"]) is None:
                    add_job(session, legacy_row(record))
    except (ValueError, TypeError, KeyError) as exc:  # damaged: the jobs are lost, say so
        log.warning("ignoring the job records in %s (%s)", path, exc)
    path.replace(path.with_name(path.name + ".imported"))


def legacy_row(record: dict[str, Any]) -> JobRow:
    def when(seconds: float | None) -> datetime | None:
        return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None

    running = record.get("status") == "running"
    return JobRow(
        job_id=record["job_id"],
        doc_id=record["doc_id"],
        kind=record["kind"],
        status=record["status"],
        progress=float(record.get("progress", 0.0)),
        error=record.get("error"),
        note=record.get("note"),
        created=when(record["created"]),
        started=when(record.get("started")),
        finished=when(record.get("finished")),
        index_version=record.get("index_version"),
        staged=list(record.get("staged", [])),
        remove=list(record.get("remove", [])),
        staging_dir=record.get("staging_dir"),
        backup_dir=record.get("backup_dir"),
        texts_embedded=int(record.get("texts_embedded", 0)),
        texts_expected=record.get("texts_expected"),
        resumed=0,
        cancel_requested=False,
        owner="legacy:0" if running else None,  # an old server's run: interrupted by definition
        heartbeat=None,
    )
