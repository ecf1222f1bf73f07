"""The jobs table on SQLite and PostgreSQL: a job is claimed by one worker only, and a cancel
made through one worker reaches the worker running the job."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from qa.api.jobs import JobProgress, JobQueue
from qa.state import open_state
from qa.state.db import utcnow
from qa.state.jobs import JobRow, add_job, claim_next, get_job


def queued_row(doc_id: str) -> JobRow:
    return JobRow(
        job_id=uuid.uuid4().hex,
        doc_id=doc_id,
        kind="delete",
        status="queued",
        progress=0.0,
        created=utcnow(),
        staged=[],
        remove=[],
        texts_embedded=0,
        resumed=0,
        cancel_requested=False,
    )


def test_two_workers_racing_for_jobs_claim_each_once(state_settings):
    state = open_state(state_settings)
    with state.session() as session:
        for n in range(30):
            add_job(session, queued_row(f"doc{n}"))
    claimed: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def worker(owner: str) -> None:
        start.wait()
        while True:
            with state.session() as session:
                row = claim_next(session, owner)
                if row is None:
                    return
                claimed[owner].append(row.job_id)

    threads = [threading.Thread(target=worker, args=(owner,)) for owner in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    both = claimed["a"] + claimed["b"]
    assert len(both) == len(set(both)) == 30
    with state.session() as session:
        assert {get_job(session, i).owner for i in claimed["a"]} <= {"a"}
        assert all(get_job(session, i).status == "running" for i in both)


def test_two_queues_on_one_database_run_every_job_once_and_cancel_each_others(state_settings, tmp_path: Path):
    state = open_state(state_settings)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    ran: list[str] = []
    lock = threading.Lock()
    blocking = threading.Event()

    def rebuild(progress: JobProgress) -> str:
        with lock:
            ran.append(progress.job.doc_id)
        while progress.job.doc_id == "endless":
            blocking.set()
            progress.texts(1)  # raises once a cancel reaches this worker
            threading.Event().wait(0.02)
        return "v"

    first, second = JobQueue(corpus, rebuild, state), JobQueue(corpus, rebuild, state)
    endless = first.submit("endless", "delete")
    assert blocking.wait(30)
    submitted = [(first if n % 2 else second).submit(f"doc{n}", "delete") for n in range(8)]
    assert second.cancel(endless.job_id).status == "running"  # asked; the other worker stops it
    assert first.wait_idle(60)
    assert sorted(ran) == sorted(["endless"] + [f"doc{n}" for n in range(8)])
    assert second.get(endless.job_id).status == "cancelled"
    assert {second.get(job.job_id).status for job in submitted} == {"done"}
