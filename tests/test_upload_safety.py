"""Uploads refused before they are read or held: streamed bodies, id rules, binary files; and
jobs that can be cancelled and survive a restart."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from qa.api.app import create_app
from qa.api.jobs import JobQueue
from qa.api.middleware.limits import BodyLimitMiddleware
from qa.api.policy import PolicyTable, RoutePolicy
from qa.corpus.readers import Limits, ReaderError
from qa.corpus.readers.isolated import read_isolated
from qa.service import ServiceHolder
from qa.settings import Settings
from qa.state import StateStore
from tests._apps import app_with

ADMIN = {"Authorization": "Bearer admin-secret"}
BOUNDARY = "qa-test-boundary"


def multipart_chunks(size: int, pieces: int) -> list[bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    body = head + b"x" * size + f"\r\n--{BOUNDARY}--\r\n".encode()
    step = -(-len(body) // pieces)
    return [body[i : i + step] for i in range(0, len(body), step)]


def run_asgi(limit: int, chunks: list[bytes], declared: int | None = None) -> tuple[int, list[int]]:
    """(status, sizes of the body messages the inner app received)."""
    received: list[int] = []
    sent: list[dict] = []
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    upload_route = SimpleNamespace(
        matches=lambda scope: (Match.FULL, {}), endpoint=SimpleNamespace(qa_policy=RoutePolicy(upload=True))
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/documents",
        "headers": headers,
        "app": SimpleNamespace(state=SimpleNamespace(policies=PolicyTable([upload_route]))),
    }
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def inner(scope, receive, send):
        while True:
            message = await receive()
            received.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    asyncio.run(BodyLimitMiddleware(inner, max_bytes=1024, max_upload_bytes=limit)(scope, receive, send))
    return sent[0]["status"], received


def test_an_upload_streams_through_in_pieces_never_buffered_whole():
    status, received = run_asgi(100_000, multipart_chunks(50_000, 10))
    assert status == 202
    assert len(received) == 10 and max(received) < 10_000


def test_an_upload_over_the_limit_is_cut_off_while_streaming_or_refused_by_its_declared_length():
    chunks = multipart_chunks(50_000, 10)
    status, received = run_asgi(20_000, chunks)
    assert status == 413 and len(received) < len(chunks)
    status, received = run_asgi(20_000, chunks, declared=sum(map(len, chunks)))
    assert (status, received) == (413, [])


def upload_app(settings, service, tmp_path: Path, **changes) -> tuple[FastAPI, Path]:
    """An app with an admin key over an empty corpus folder in `tmp_path` (and that folder)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    app = app_with(
        settings,
        service,
        admin_keys=["admin-secret"],
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        access_log=False,
        **changes,
    )
    return app, corpus


@pytest.fixture
def uploads(settings, service, tmp_path: Path):
    """An app with an admin key whose jobs are queued but never built."""
    app, corpus = upload_app(settings, service, tmp_path)
    never = threading.Event()
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    app.state.document_jobs = JobQueue(corpus, lambda progress: never.wait(60) or "never", state)
    with TestClient(app) as client:
        yield client, corpus
    never.set()


@pytest.mark.parametrize("doc_id", ["x\n", "trailing-", "UPPER", "-lead", "a" * 101, "a/b"])
def test_doc_ids_outside_the_id_rules_are_422(uploads, doc_id):
    client, corpus = uploads
    response = client.post(
        "/v1/documents",
        headers=ADMIN,
        data={"doc_id": doc_id},
        files={"file": ("a.txt", "一段中文。\nOne line.".encode(), "text/plain")},
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_doc_id"
    assert not list(corpus.iterdir())


def test_a_300_character_file_name_gives_a_short_id_that_names_the_stored_file(uploads):
    client, corpus = uploads
    response = client.post(
        "/v1/documents",
        headers=ADMIN,
        files={"file": ("x" * 300 + ".txt", "一段中文。\nOne line.".encode(), "text/plain")},
    )
    assert response.status_code == 202, response.text
    doc_id = response.json()["doc_id"]
    assert doc_id == "x" * 100
    job = client.app.state.document_jobs.get(response.json()["job_id"])
    assert [p.name for p in job.staged] == [f"{doc_id}.txt"]


def test_binary_data_sent_as_text_is_refused(uploads):
    client, corpus = uploads
    noise = bytes(range(256)) * 16
    response = client.post("/v1/documents", headers=ADMIN, files={"file": ("noise.txt", noise, "text/plain")})
    assert response.status_code == 422 and "not a UTF-8 text file" in response.json()["error"]["message"]


def test_jobs_are_cancelled_queued_or_running_and_the_corpus_is_put_back(tmp_path: Path):
    corpus, stage = tmp_path / "corpus", tmp_path / "stage"
    corpus.mkdir(), stage.mkdir()
    (corpus / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    for name in ("kept.txt", "other.txt"):
        (stage / name).write_text("新的。\n", encoding="utf-8")
    started = threading.Event()

    def endless_build(progress) -> str:
        started.set()
        while True:
            progress.texts(1)  # raises once the job is cancelled
            threading.Event().wait(0.01)

    jobs = JobQueue(corpus, endless_build, StateStore(f"sqlite:///{tmp_path / 'state.db'}"))
    running = jobs.submit("kept", "add", staged=[stage / "kept.txt"])
    queued = jobs.submit("other", "add", staged=[stage / "other.txt"])
    assert started.wait(30)
    assert jobs.cancel(queued.job_id).status == "cancelled"
    jobs.cancel(running.job_id)
    assert jobs.wait_idle(30)
    assert (jobs.get(running.job_id).status, jobs.get(queued.job_id).status) == ("cancelled", "cancelled")
    assert sorted(p.name for p in corpus.iterdir()) == ["kept.txt"]
    assert (corpus / "kept.txt").read_text(encoding="utf-8") == "旧的。\n"


def test_a_job_interrupted_by_a_crash_is_rolled_back_queued_again_and_leftovers_removed(tmp_path: Path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    crashed, released = threading.Event(), threading.Event()

    def build_then_crash(progress) -> str:
        crashed.set()
        released.wait(60)  # the "process" dies here: the job stays running on disk
        raise RuntimeError("gone")

    state = StateStore(f"sqlite:///{index / 'state.db'}")
    first = JobQueue(corpus, build_then_crash, state)
    staging = corpus / ".qa-upload-abc"  # as the upload route stages a file
    staging.mkdir()
    (staging / "kept.txt").write_text("新的。\n", encoding="utf-8")
    (corpus / ".qa-backup-stray").mkdir()  # a leftover of an earlier crash
    job = first.submit("kept", "add", staged=[staging / "kept.txt"], staging_dir=staging)
    assert crashed.wait(30)
    assert (corpus / "kept.txt").read_text(encoding="utf-8") == "新的。\n"  # mid-change

    built = threading.Event()

    def build(progress) -> str:
        built.set()
        return "v2"

    restarted = JobQueue(corpus, build, state)  # in this process: the first worker's claim is a former life's
    again = restarted.get(job.job_id)
    assert again is not None and again.note and "rolled back" in again.note
    assert restarted.wait_idle(30) and built.is_set()
    again = restarted.get(job.job_id)
    assert (again.status, again.index_version) == ("done", "v2")
    assert sorted(p.name for p in corpus.iterdir()) == ["kept.txt"]  # staging and backups gone
    assert (corpus / "kept.txt").read_text(encoding="utf-8") == "新的。\n"
    released.set()


def test_a_translation_memory_over_the_unit_limit_is_refused_in_the_reading_child(tmp_path: Path):
    units = "".join(
        f'<tu><tuv xml:lang="zh"><seg>第{n}条。</seg></tuv><tuv xml:lang="en"><seg>Item {n}.</seg></tuv></tu>'
        for n in range(30)
    )
    path = tmp_path / "many.tmx"
    path.write_text(
        f'<?xml version="1.0"?><tmx version="1.4"><header srclang="zh"/><body>{units}</body></tmx>', encoding="utf-8"
    )
    assert len(read_isolated(path, Limits(max_units=30)).pairs) == 30
    with pytest.raises(ReaderError, match="QA_MAX_DOCUMENT_UNITS"):
        read_isolated(path, Limits(max_units=29))
    with pytest.raises(ReaderError, match="QA_MAX_DOCUMENT_CHARS"):
        read_isolated(path, Limits(max_chars=100))


def test_plain_text_over_the_unit_limit_is_refused_at_upload(settings, service, tmp_path: Path):
    app, corpus = upload_app(settings, service, tmp_path, max_document_units=3)
    text = "".join(f"第{n}段中文。\nParagraph {n} in English.\n" for n in range(5))
    with TestClient(app) as client:
        response = client.post(
            "/v1/documents", headers=ADMIN, files={"file": ("many.zh-en.txt", text.encode(), "text/plain")}
        )
    assert response.status_code == 422 and "QA_MAX_DOCUMENT_UNITS" in response.json()["error"]["message"]
    assert not list(corpus.iterdir())


def call_counting_reads(
    app, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, int]:
    """(status, body pieces the app read) for a request whose body arrives in `chunks`."""
    reads = 0
    statuses: list[int] = []

    async def receive():
        nonlocal reads
        if reads < len(chunks):
            reads += 1
            return {"type": "http.request", "body": chunks[reads - 1], "more_body": reads < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("203.0.113.9", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return statuses[0], reads


def test_an_upload_without_the_admin_key_is_refused_before_its_body_is_read(settings, service, tmp_path):
    app = app_with(settings, service, admin_keys=["admin-secret"], corpus_dir=tmp_path, access_log=False)
    chunks = multipart_chunks(50 * 65536, 50)
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    status, reads = call_counting_reads(app, "POST", "/v1/documents", headers, chunks)
    assert status == 401 and reads == 0


def test_a_client_over_its_rate_is_refused_before_its_body_is_read(settings, service):
    app = app_with(settings, service, rate_limit_per_minute=1, rate_limit_burst=1, access_log=False)
    body = b'{"query": "' + "碳".encode() * 20000 + b'"}'
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    headers = [(b"content-type", b"application/json")]
    call_counting_reads(app, "POST", "/v1/search", headers, chunks)  # spends the burst
    status, reads = call_counting_reads(app, "POST", "/v1/search", headers, chunks)
    assert status == 429 and reads == 0


def test_an_undeclared_upload_is_cut_off_with_413_as_it_passes_the_limit(tmp_path: Path):
    settings = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        admin_keys="admin-secret",
        max_document_bytes=2048,
        access_log=False,
        reload_poll_seconds=0,
    )
    app = create_app(settings, ServiceHolder(settings))  # the upload is refused before any index is needed
    chunks = multipart_chunks(200_000, 40)
    headers = [
        (b"authorization", b"Bearer admin-secret"),
        (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
    ]
    status, reads = call_counting_reads(app, "POST", "/v1/documents", headers, chunks)
    assert status == 413 and reads < len(chunks)


def test_a_server_with_an_unknown_document_format_does_not_start(settings, service):
    with pytest.raises(ValueError, match=r"unknown document formats \['exe'\]"):
        app_with(settings, service, document_formats=["pdf", "exe"])
