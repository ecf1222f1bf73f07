"""Start-up recovery of document jobs: interrupted ones rolled back and queued again, live ones
left alone, leftovers removed, and an older server's jobs.json moved into the state store."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from qa.api import jobs as jobs_module
from qa.api.job_recovery import LEGACY_JOBS_FILE, STALE_AFTER, recover
from qa.api.jobs import JobQueue
from qa.state import StateStore
from qa.state.db import utcnow
from qa.state.jobs import JobRow, add_job, get_job


def running_row(owner: str, staging: Path, backup: Path) -> JobRow:
    return JobRow(
        job_id=uuid.uuid4().hex,
        doc_id="new",
        kind="add",
        status="running",
        progress=0.5,
        created=utcnow(),
        started=utcnow(),
        staged=[str(staging / "new.txt")],
        remove=[],
        staging_dir=str(staging),
        backup_dir=str(backup),
        texts_embedded=10,
        resumed=0,
        cancel_requested=False,
        owner=owner,
        heartbeat=utcnow(),
    )


def staged_change(corpus: Path, name: str) -> tuple[Path, Path]:
    """A job half way: its upload staged, copied into the corpus, the old file backed up."""
    staging, backup = corpus / f".qa-upload-{name}", corpus / f".qa-backup-{name}"
    staging.mkdir()
    backup.mkdir()
    (staging / "new.txt").write_text("新。\n", encoding="utf-8")
    (corpus / "new.txt").write_text("新。\n", encoding="utf-8")
    return staging, backup


def test_a_job_of_a_live_worker_is_left_alone_and_a_dead_ones_rolled_back(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    host = socket.gethostname()
    live_staging, live_backup = staged_change(corpus, "live")
    live = running_row(f"{host}:{os.getppid()}", live_staging, live_backup)  # the test runner's parent
    dead_staging, dead_backup = staged_change(corpus, "dead")
    dead = running_row(f"{host}:{2**22 + 1}", dead_staging, dead_backup)  # above Linux's pid_max default
    (corpus / "new.txt").unlink()
    cancelled_staging, cancelled_backup = staged_change(corpus, "cancelled")
    cancelled = running_row(f"{host}:{2**22 + 1}", cancelled_staging, cancelled_backup)
    cancelled.cancel_requested = True  # a DELETE /v1/jobs/{id} the dead worker had not acted on
    stray = corpus / ".qa-backup-stray"
    stray.mkdir()
    with state.session() as session:
        add_job(session, live)
        add_job(session, dead)
        add_job(session, cancelled)
    recover(corpus, state)
    with state.session() as session:
        assert get_job(session, live.job_id).status == "running"
        again = get_job(session, dead.job_id)
        assert (again.status, again.texts_embedded, again.backup_dir) == ("queued", 0, None)
        assert get_job(session, cancelled.job_id).status == "cancelled"
    assert not cancelled_staging.exists()
    assert live_staging.is_dir() and live_backup.is_dir() and dead_staging.is_dir()
    assert not dead_backup.exists() and not stray.exists()


def test_jobs_of_an_older_server_are_moved_from_jobs_json(tmp_path: Path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    index.mkdir()
    (corpus / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    staging, backup = staged_change(corpus, "old")
    (backup / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    (corpus / "kept.txt").unlink()  # the old server had replaced it when it died
    now = time.time()
    done = {
        "job_id": "a" * 32,
        "doc_id": "kept",
        "kind": "add",
        "status": "done",
        "progress": 1.0,
        "created": now - 60,
        "finished": now - 50,
        "index_version": "v1",
    }
    running = {
        "job_id": "b" * 32,
        "doc_id": "new",
        "kind": "add",
        "status": "running",
        "progress": 0.4,
        "created": now - 10,
        "started": now - 9,
        "staged": [str(staging / "new.txt")],
        "staging_dir": str(staging),
        "backup_dir": str(backup),
    }
    (index / LEGACY_JOBS_FILE).write_text(json.dumps([done, running]), encoding="utf-8")
    jobs = JobQueue(
        corpus, lambda progress: "v2", StateStore(f"sqlite:///{index / 'state.db'}"), index / LEGACY_JOBS_FILE
    )
    assert jobs.wait_idle(30)
    assert (jobs.get("a" * 32).status, jobs.get("a" * 32).index_version) == ("done", "v1")
    rerun = jobs.get("b" * 32)
    assert (rerun.status, rerun.index_version) == ("done", "v2") and "interrupted" in rerun.note
    assert not (index / LEGACY_JOBS_FILE).exists()
    assert sorted(p.name for p in corpus.iterdir()) == ["kept.txt", "new.txt"]


def test_a_job_of_another_host_is_taken_as_dead_only_once_its_heartbeat_is_stale(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    fresh = running_row("elsewhere:123", *staged_change(corpus, "fresh"))
    silent = running_row("elsewhere:456", *staged_change(corpus, "silent"))
    silent.heartbeat = utcnow() - STALE_AFTER - timedelta(seconds=1)
    with state.session() as session:
        add_job(session, fresh)
        add_job(session, silent)
    recover(corpus, state)
    with state.session() as session:
        assert get_job(session, fresh.job_id).status == "running"
        assert get_job(session, silent.job_id).status == "queued"


def test_a_running_job_keeps_its_heartbeat_while_the_build_says_nothing(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(jobs_module, "HEARTBEAT_SECONDS", 0.05)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    beats: set = set()

    def silent_build(progress) -> str:  # never reports progress, like a long parse
        for _ in range(600):
            with state.session() as session:
                beats.add(get_job(session, progress.job.job_id).heartbeat)
            if len(beats) >= 3:
                return "v"
            threading.Event().wait(0.02)
        raise AssertionError("no heartbeat while the build ran")

    jobs = JobQueue(corpus, silent_build, state)
    job = jobs.submit("any", "delete")
    assert jobs.wait_idle(30)
    assert jobs.get(job.job_id).status == "done"
