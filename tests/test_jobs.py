"""Document jobs kept in the state store: they outlive the server, over HTTP too."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient

from qa.api.jobs import JobProgress, JobQueue
from qa.state import StateStore, open_state
from tests._apps import app_with

ADMIN = {"Authorization": "Bearer admin-secret"}


def test_a_job_interrupted_by_a_restart_is_run_again_and_reported_by_the_next_server(settings, service, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kept.txt").write_text("保留的文档。\nA kept document.\n", encoding="utf-8")
    options = dict(admin_keys=["admin-secret"], corpus_dir=corpus, index_dir=tmp_path / "index", access_log=False)
    hanging, released = threading.Event(), threading.Event()

    def build_then_die(progress: JobProgress) -> str:
        hanging.set()
        released.wait(60)  # the server is "killed" here: the job stays running in the store
        raise RuntimeError("gone")

    before = app_with(settings, service, **options)
    before.state.document_jobs = JobQueue(corpus, build_then_die, open_state(before.state.settings))
    with TestClient(before) as client:
        text = "新的文档。\nA new document.\n".encode()
        accepted = client.post("/v1/documents", headers=ADMIN, files={"file": ("new.txt", text, "text/plain")})
        assert accepted.status_code == 202
        job_id = accepted.json()["job_id"]
        assert hanging.wait(30)
        assert client.get(f"/v1/jobs/{job_id}", headers=ADMIN).json()["status"] == "running"
    assert (corpus / "new.txt").is_file()  # mid-change when the server died

    corpus_at_restart: list[list[str]] = []

    def build(progress: JobProgress) -> str:
        corpus_at_restart.append(sorted(p.name for p in corpus.iterdir() if not p.name.startswith(".")))
        return "v2"

    after = app_with(settings, service, **options)
    # Same process, so the first worker's claim reads as an earlier life's (a new pid in reality).
    after.state.document_jobs = JobQueue(corpus, build, open_state(after.state.settings))
    with TestClient(after) as client:
        assert after.state.document_jobs.wait_idle(30)
        job = client.get(f"/v1/jobs/{job_id}", headers=ADMIN).json()
        assert (job["status"], job["index_version"]) == ("done", "v2")
        assert "interrupted" in job["note"]
        assert client.get("/v1/jobs/0123456789abcdef", headers=ADMIN).status_code == 404
    assert corpus_at_restart == [["kept.txt", "new.txt"]]  # run again from its staged upload
    released.set()


def test_a_cancel_reaches_a_running_job_and_puts_the_corpus_back(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    started = threading.Event()

    def endless(progress: JobProgress) -> str:
        started.set()
        while True:
            progress.reused(0)  # raises once the job is cancelled
            threading.Event().wait(0.01)

    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    jobs = JobQueue(corpus, endless, state)
    job = jobs.submit("kept", "delete")
    assert started.wait(30)
    assert not (corpus / "kept.txt").exists()
    jobs.cancel(job.job_id)
    assert jobs.wait_idle(30)
    assert jobs.get(job.job_id).status == "cancelled"
    assert (corpus / "kept.txt").read_text(encoding="utf-8") == "旧的。\n"


def test_a_dead_database_leaves_the_port_open_and_the_job_routes_answer_503(settings, service, tmp_path: Path):
    app = app_with(
        settings,
        service,
        admin_keys=["admin-secret"],
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        access_log=False,
        analytics=False,
        database_url="postgresql://qa@127.0.0.1:1/qa",  # nothing listens on port 1
    )
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/v1/jobs/0123456789abcdef", headers=ADMIN)
        assert response.status_code == 503 and response.json()["error"]["code"] == "state_unavailable"
