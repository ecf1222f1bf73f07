"""Documents over HTTP: upload two editions, follow the job, search them; hostile files change nothing."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.api.jobs import JobQueue
from qa.corpus.parse import parse_path
from qa.service import ServiceHolder, open_service
from qa.settings import Settings
from qa.state import StateStore
from tests._apps import app_with
from tests.conftest import CORPUS_DIR, PAPER, TINY_SECTION, paper_excerpt, write_interleaved
from tests.editions_sim import GenPara, truth_units, write_html, write_pdf

ADMIN = {"Authorization": "Bearer admin-secret"}
SECTION_TWO = "二、能源绿色低碳转型取得显著成效"


def section_editions(folder: Path, units: int = 4) -> tuple[Path, Path]:
    """The first paragraphs of the paper's section 二 as a Chinese PDF and an English web page."""
    paper = parse_path(CORPUS_DIR / f"{PAPER}.zh-en.txt")
    chosen = [u for u in truth_units(paper) if u["zh_section"][:1] == [SECTION_TWO]][:units]
    zh = [GenPara(t, frozenset({k}), u["zh_section"]) for k, u in enumerate(chosen) for t in u["zh"]]
    en = [GenPara(t, frozenset({k}), u["en_section"]) for k, u in enumerate(chosen) for t in u["en"]]
    return (
        write_pdf(zh, "能源转型", folder / "energy.zh.pdf"),
        write_html(en, "Energy Transition", folder / "energy.en.html"),
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("documents-api")
    corpus = root / "corpus"
    corpus.mkdir()
    write_interleaved(corpus / "tiny.zh-en.txt", paper_excerpt(*TINY_SECTION))
    return corpus, root / "index"


@pytest.fixture(scope="module")
def api(folders, encoder):
    corpus, index = folders
    settings = Settings(
        corpus_dir=corpus, index_dir=index, admin_keys="admin-secret", reload_poll_seconds=0, access_log=False
    )
    holder = ServiceHolder(settings)
    holder.service = open_service(settings, progress=False, encoder=encoder)
    holder.ready.set()
    with TestClient(create_app(settings, holder)) as client:
        yield client


def wait_for(client: TestClient, job_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=ADMIN).json()
        assert 0 <= job["progress"] <= 1
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


def served_state(client: TestClient, corpus: Path) -> tuple[str, list[str]]:
    version = client.app.state.holder.service.store.version
    return version, sorted(p.name for p in corpus.iterdir())


def test_two_editions_uploaded_become_searchable_with_pages_and_translations(api, folders, tmp_path):
    corpus, _ = folders
    zh_pdf, en_html = section_editions(tmp_path)
    with open(zh_pdf, "rb") as zh, open(en_html, "rb") as en:
        response = api.post(
            "/v1/documents",
            headers=ADMIN,
            data={"doc_id": "energy"},
            files={"zh": ("energy.zh.pdf", zh, "application/pdf"), "en": ("energy.en.html", en, "text/html")},
        )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["doc_id"] == "energy"
    job = wait_for(api, accepted["job_id"])
    assert (job["status"], job["progress"], job["error"]) == ("done", 1.0, None)
    assert sorted(p.name for p in corpus.glob("energy*")) == ["energy.en.html", "energy.zh.pdf"]
    assert job["resumed"] > 0  # the rest of the corpus came from the embedding cache

    detail = api.get("/v1/documents/energy").json()
    assert detail["indexed"] and detail["format"] == "pair"
    assert detail["passages"]["zh"] >= 4 and detail["passages"]["en"] >= 4
    assert detail["files"] == ["energy.en.html", "energy.zh.pdf"]

    hits = api.post(
        "/v1/search", json={"query": "installed capacity of renewable energy", "lang": "zh", "top_k": 10}
    ).json()["results"]
    mine = [h for h in hits if h["doc_id"] == "energy"]
    assert mine, "the uploaded Chinese edition is not found"
    assert all(h["citation"]["page"] == 1 for h in mine)
    assert all(h["translations"] and h["translations"][0]["lang"] == "en" for h in mine)
    english = api.get(f"/v1/passages/{mine[0]['translations'][0]['passage_id']}").json()
    assert english["citation"]["page"] is None and english["doc_id"] == "energy"


def test_hostile_or_broken_uploads_get_a_4xx_and_change_nothing(api, folders, tmp_path):
    corpus, _ = folders
    before = served_state(api, corpus)
    scan = tmp_path / "scan.pdf"
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(scan))
    pdf.rect(50, 50, 400, 600, fill=1)
    pdf.save()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    cases = [
        ({"file": ("scan.pdf", scan.read_bytes(), "application/pdf")}, 422, "no text layer"),
        ({"file": ("bomb.docx", bomb.getvalue(), "application/octet-stream")}, 422, "zip bomb"),
        (
            {
                "file": (
                    "never.pdf",
                    b"%PDF-1.7\n1 0 obj << /Type /Pages /Kids [1 0 R] >> endobj\n" * 500,
                    "application/pdf",
                )
            },
            422,
            "never.pdf",
        ),
        (
            {"file": ("x.html", b"<html><script>while(true){}</script><body></body></html>", "text/html")},
            422,
            "no article text",
        ),
        ({"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")}, 415, "unsupported file type"),
        ({"file": ("bad.tmx", b"<tmx><body><tu>", "application/xml")}, 422, "not well-formed"),
        ({"zh": ("a.zh.txt", "中文段落。".encode(), "text/plain")}, 422, "both editions"),
    ]
    for files, status, message in cases:
        response = api.post("/v1/documents", headers=ADMIN, files=files)
        assert response.status_code == status, (files.keys(), response.text)
        assert message in response.json()["error"]["message"]
    assert (
        api.post(
            "/v1/documents",
            headers=ADMIN,
            data={"doc_id": "../etc/passwd"},
            files={"file": ("a.txt", "一段中文。\nOne English line.".encode(), "text/plain")},
        ).json()["error"]["code"]
        == "invalid_doc_id"
    )
    assert served_state(api, corpus) == before


def test_uploads_and_jobs_need_the_admin_key(api):
    files = {"file": ("a.txt", "一段中文。".encode(), "text/plain")}
    assert api.post("/v1/documents", files=files).status_code == 401
    assert api.post("/v1/documents", files=files, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.get("/v1/jobs/whatever").status_code == 401
    assert api.delete("/v1/documents/tiny").status_code == 401
    assert api.get("/v1/jobs/whatever", headers=ADMIN).status_code == 404


def test_an_upload_over_the_size_limit_is_refused_with_413(api):
    small = app_with(api.app.state.settings, api.app.state.holder.service, max_document_bytes=2048)
    with TestClient(small) as client:
        big = ("一段中文。\nOne English line.\n" * 400).encode()
        response = client.post("/v1/documents", headers=ADMIN, files={"file": ("big.txt", big, "text/plain")})
    assert response.status_code == 413
    assert "QA_MAX_DOCUMENT_BYTES" in response.json()["error"]["message"]


def test_deleting_a_document_removes_it_from_corpus_and_index(api, folders, tmp_path):
    corpus, _ = folders
    lines = paper_excerpt("(二)系统推进碳达峰碳中和工作", "(三)构建碳达峰碳中和政策体系")
    path = write_interleaved(tmp_path / "second.zh-en.txt", lines)
    response = api.post(
        "/v1/documents", headers=ADMIN, files={"file": ("second.zh-en.txt", path.read_bytes(), "text/plain")}
    )
    assert wait_for(api, response.json()["job_id"])["status"] == "done"
    assert api.get("/v1/documents/second").json()["indexed"]
    response = api.delete("/v1/documents/second", headers=ADMIN)
    assert response.status_code == 202
    assert wait_for(api, response.json()["job_id"])["status"] == "done"
    assert api.get("/v1/documents/second").status_code == 404
    assert not list(corpus.glob("second*"))
    assert api.delete("/v1/documents/second", headers=ADMIN).status_code == 404


def test_a_failed_build_puts_the_corpus_back_as_it_was(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kept.zh-en.txt").write_text("旧的。\nOld.\n", encoding="utf-8")
    staged = tmp_path / "stage"
    staged.mkdir()
    (staged / "kept.zh-en.txt").write_text("新的。\nNew.\n", encoding="utf-8")
    (staged / "other.txt").write_text("另一个。\nAnother.\n", encoding="utf-8")

    def failing_build(progress) -> str:
        progress(0.5)
        raise RuntimeError("the disk is full")

    jobs = JobQueue(corpus, failing_build, StateStore(f"sqlite:///{tmp_path / 'state.db'}"))
    job = jobs.submit("kept", "add", staged=[staged / "kept.zh-en.txt"])
    assert jobs.wait_idle(30)
    job = jobs.get(job.job_id)
    assert (job.status, job.error) == ("failed", "the disk is full")
    assert sorted(p.name for p in corpus.iterdir()) == ["kept.zh-en.txt"]
    assert (corpus / "kept.zh-en.txt").read_text(encoding="utf-8") == "旧的。\nOld.\n"


def test_a_server_started_with_an_empty_corpus_fills_it_over_http(tmp_path, monkeypatch):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    monkeypatch.setenv("QA_THREADS", "1")
    settings = Settings(
        corpus_dir=corpus,
        index_dir=index,
        admin_keys="admin-secret",
        reload_poll_seconds=0,
        access_log=False,
        threads=1,
    )
    with TestClient(create_app(settings)) as client:
        holder = client.app.state.holder
        assert holder.ready.wait(120), holder.error  # an empty index, served
        assert client.get("/readyz").json()["passages"] == 0
        empty = client.post("/v1/ask", json={"question": "碳市场覆盖多少排放？"}).json()
        assert empty["answerable"] is False and empty["citations"] == []
        path = write_interleaved(tmp_path / "tiny.zh-en.txt", paper_excerpt(*TINY_SECTION))
        response = client.post(
            "/v1/documents", headers=ADMIN, files={"file": ("tiny.zh-en.txt", path.read_bytes(), "text/plain")}
        )
        assert response.status_code == 202
        assert wait_for(client, response.json()["job_id"])["status"] == "done"
        assert client.get("/readyz").status_code == 200
        assert client.get("/v1/documents/tiny").json()["passages"] == {"zh": 4, "en": 4}


def test_with_api_keys_set_uploads_still_take_the_admin_key_and_only_it(api, folders):
    corpus, index = folders
    settings = Settings(
        corpus_dir=corpus,
        index_dir=index,
        admin_keys="admin-secret",
        api_keys="reader",
        reload_poll_seconds=0,
        access_log=False,
    )
    holder = ServiceHolder(settings)
    holder.service = api.app.state.holder.service
    holder.ready.set()
    files = {"file": ("tool.exe", b"MZ", "application/octet-stream")}
    with TestClient(create_app(settings, holder)) as client:
        assert client.post("/v1/documents", headers=ADMIN, files=files).status_code == 415  # got through
        assert client.post("/v1/documents", headers={"X-API-Key": "reader"}, files=files).status_code == 403
        assert client.get("/v1/documents/tiny", headers={"X-API-Key": "reader"}).status_code == 200
        assert client.get("/v1/documents/tiny", headers=ADMIN).status_code == 403  # reading takes an API key
