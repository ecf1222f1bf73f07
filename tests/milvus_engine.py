"""Fixtures for the Milvus backend: the real engine from the pinned wheel, and a tiny IndexData.

The engine runs as its own process on 127.0.0.1 and a free port with its data in a tmp folder,
and is stopped by PID. Skipped as a whole when the `milvus` extra is not installed.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from qa.corpus.store import corpus_checksum, load_documents
from qa.embed.model import Encoder
from qa.store.base import IndexData
from qa.store.format import component_versions
from qa.text import sentence_spans, tokenize
from tests.conftest import TINY_SECTION, paper_excerpt, write_interleaved

pytest.importorskip("pymilvus")
from qa.store.milvus.engine import engine_binary, free_port, start_engine, stop_engine  # noqa: E402

try:
    engine_binary()
except RuntimeError as exc:  # EngineNotInstalled
    pytest.skip(str(exc), allow_module_level=True)


@dataclass
class Engine:
    """A running engine; restart() keeps its data file and port (a server coming back)."""

    db_file: Path
    port: int
    process: subprocess.Popen | None = None
    history: list[int] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Engine:
        self.process = start_engine(self.db_file, self.port)
        self.history.append(self.process.pid)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_engine(self.process)
            self.process = None


def run_engine(folder: Path):
    engine = Engine(folder / "milvus.db", free_port()).start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="module")
def milvus(tmp_path_factory) -> Engine:
    """One engine shared by a test module."""
    yield from run_engine(tmp_path_factory.mktemp("milvus"))


@pytest.fixture
def private_milvus(tmp_path) -> Engine:
    """An engine of the test's own, free to be killed and restarted."""
    yield from run_engine(tmp_path / "milvus")


def two_document_corpus(folder: Path) -> Path:
    """Sections (一) and (二) of the paper as two documents: zh/en pairs, two doc_ids."""
    folder.mkdir(parents=True, exist_ok=True)
    write_interleaved(folder / "first.zh-en.txt", paper_excerpt(*TINY_SECTION), ("第一节", "Section One"))
    second = paper_excerpt(TINY_SECTION[1], "(三)构建碳达峰碳中和政策体系")
    write_interleaved(folder / "second.zh-en.txt", second, ("第二节", "Section Two"))
    return folder


def index_data(corpus_dir: Path, encoder: Encoder, version: str = "v20000101T000000-test") -> IndexData:
    """What a build hands a store: passages, vectors, sentence spans/vectors, keyword tokens."""
    documents = load_documents(corpus_dir)
    passages = [p for d in documents for p in d.passages]
    spans = [(row, s, e) for row, p in enumerate(passages) for s, e in sentence_spans(p.text, p.lang)]
    vectors = encoder.encode_documents([p.text for p in passages] + [passages[r].text[s:e] for r, s, e in spans])
    return IndexData(
        passages=passages,
        documents=documents,
        vectors=vectors[: len(passages)],
        sentence_spans=np.asarray(spans, dtype=np.int32).reshape(-1, 3),
        sentence_vectors=vectors[len(passages) :],
        keyword_tokens=[tokenize(p.text) for p in passages],
        manifest={
            "version": version,
            "versions": component_versions(),
            "model_id": encoder.model_id,
            "corpus_checksum": corpus_checksum(corpus_dir),
        },
    )
