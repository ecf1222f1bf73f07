"""Files are read in the child process once: the build uses what the upload's child read, and
a file over the limits is refused by the child, never read by the server process."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api.jobs import JobQueue
from qa.corpus.parsed import PARSED_DIR, ParsedFiles
from qa.corpus.readers import Limits, ReaderError
from qa.corpus.readers import tmx as tmx_reader
from qa.corpus.readers.isolated import read_isolated
from qa.corpus.store import load_documents
from qa.state import StateStore
from tests._apps import app_with

ADMIN = {"Authorization": "Bearer admin-secret"}


def tmx(units: int) -> str:
    body = "".join(
        f'<tu><tuv xml:lang="zh"><seg>第{n}条规定。</seg></tuv><tuv xml:lang="en"><seg>Rule {n}.</seg></tuv></tu>'
        for n in range(units)
    )
    return f'<?xml version="1.0"?><tmx version="1.4"><header srclang="zh"/><body>{body}</body></tmx>'


@pytest.fixture
def no_reading_in_process(monkeypatch):
    """The TMX reader fails in this process (the child process is a fresh interpreter)."""

    def refuse(path):
        raise AssertionError(f"{path} was parsed in the server process")

    monkeypatch.setattr(tmx_reader, "read_tmx", refuse)


def test_the_build_reads_what_the_upload_child_read_without_reading_again(
    settings, service, tmp_path: Path, no_reading_in_process
):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    app = app_with(settings, service, admin_keys=["admin-secret"], corpus_dir=corpus, index_dir=index, access_log=False)
    never = threading.Event()
    app.state.document_jobs = JobQueue(
        corpus, lambda progress: never.wait(60) or "never", StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    )
    with TestClient(app) as client:
        files = {"file": ("rules.tmx", tmx(12).encode(), "application/xml")}
        assert client.post("/v1/documents", headers=ADMIN, files=files).status_code == 202
    built = tmp_path / "built"
    built.mkdir()
    # The job holds in its rebuild until `never` is set, so its staging folder is still there.
    (staged,) = corpus.glob(".qa-upload-*/rules.tmx")
    shutil.copy(staged, built / "rules.tmx")  # as the job puts it into the corpus
    never.set()

    def no_second_read(path: Path, limits: Limits):
        raise AssertionError("read again")

    reader = ParsedFiles(index / PARSED_DIR, read=no_second_read)
    (doc,) = load_documents(built, limits=Limits.from_settings(app.state.settings), reader=reader)
    assert doc.doc_id == "rules" and len(doc.passages) == 24


def test_a_file_over_the_limits_is_refused_by_the_child_at_build_time_too(tmp_path: Path, no_reading_in_process):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "many.tmx").write_text(tmx(30), encoding="utf-8")  # put there by hand, never uploaded
    reader = ParsedFiles(tmp_path / PARSED_DIR)
    with pytest.raises(ReaderError, match="QA_MAX_DOCUMENT_UNITS"):
        load_documents(corpus, limits=Limits(max_units=29), reader=reader)
    (doc,) = load_documents(corpus, limits=Limits(max_units=30), reader=reader)  # in the child as well
    assert len(doc.passages) == 60


def test_a_kept_result_is_reused_by_content_and_forgotten_when_unused(tmp_path: Path):
    first, second = tmp_path / "a.tmx", tmp_path / "b.tmx"
    first.write_text(tmx(3), encoding="utf-8")
    second.write_text(tmx(3), encoding="utf-8")
    reads: list[Path] = []

    def counting(path: Path, limits: Limits):
        reads.append(path)
        return read_isolated(path, limits)

    assert ParsedFiles(tmp_path / "kept", counting)(first, Limits()) == ParsedFiles(tmp_path / "kept", counting)(
        second, Limits()
    )
    assert reads == [first]  # the same bytes: read once
    ParsedFiles(tmp_path / "kept", counting)(first, Limits(max_units=5))  # other limits: read again
    assert len(reads) == 2
    only_one = ParsedFiles(tmp_path / "kept", counting)
    only_one(first, Limits())
    only_one.prune()
    assert len(list((tmp_path / "kept").glob("*.json"))) == 1
