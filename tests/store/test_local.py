"""The index on disk: it round-trips, switches atomically, and refuses to serve when damaged or stale."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import qa.store.local.write as write_module
from qa.corpus.store import corpus_checksum, load_documents
from qa.index.build import FORMAT_VERSION, build_index
from qa.service import open_service
from qa.settings import Settings
from qa.store.base import StoreCorrupt, StoreMissing, StoreStale
from qa.store.local.load import live_version, load_index
from qa.store.local.vectors import build_faiss, read_faiss, write_faiss
from tests.conftest import CORPUS_DIR, PAPER, TINY_SECTION, paper_excerpt, write_interleaved

EXTRA_PARAGRAPH = "新增的一段话：用于检验语料变化后索引会被判定为过期。"


@pytest.fixture(scope="module")
def built(tmp_path_factory, encoder) -> tuple[Path, Path]:
    """(corpus, index) of the tiny document, built once for this module; copy before changing."""
    root = tmp_path_factory.mktemp("built")
    corpus = root / "corpus"
    corpus.mkdir()
    write_interleaved(corpus / "tiny.zh-en.txt", paper_excerpt(*TINY_SECTION))
    build_index(corpus, root / "index", encoder, progress=False)
    return corpus, root / "index"


@pytest.fixture
def built_copy(built, tmp_path) -> tuple[Path, Path]:
    corpus, index = built
    return (Path(shutil.copytree(corpus, tmp_path / "corpus")), Path(shutil.copytree(index, tmp_path / "index")))


def flip_bytes(path: Path, at: int = -16) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def test_the_index_round_trips(built, encoder):
    corpus, index = built
    store = load_index(index, corpus, encoder.model_id)
    (doc,) = load_documents(corpus)
    assert [p.model_dump() for p in store.passages] == [p.model_dump() for p in doc.passages]
    expected = encoder.encode_documents([p.text for p in doc.passages])
    assert np.allclose(store.vectors_matrix, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(store.vectors_matrix, axis=1), 1.0, atol=1e-5)

    m = store.manifest
    assert m["format_version"] == FORMAT_VERSION
    assert m["model_id"] == encoder.model_id
    assert m["dimension"] == encoder.dimension == store.vectors_matrix.shape[1]
    assert m["corpus_checksum"] == corpus_checksum(corpus)
    assert m["passage_count"] == len(doc.passages) == 8
    assert m["passages_by_lang"] == {"zh": 4, "en": 4}
    built_at = datetime.fromisoformat(m["built_at"])
    assert timedelta(0) <= datetime.now(UTC) - built_at < timedelta(hours=1)
    assert store.folder == live_version(index)
    assert store.documents()[0]["doc_id"] == "tiny"

    # FAISS holds the same vectors: each passage is its own nearest neighbour.
    sims, rows = store.faiss_index.search(np.ascontiguousarray(expected), 1)
    assert rows[:, 0].tolist() == list(range(len(doc.passages)))
    assert np.allclose(sims[:, 0], 1.0, atol=1e-4)


def mapped_kb(path: Path) -> int:
    """Resident kB of this process's memory mappings of `path` (0 when it is not mapped)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:  # a mapping header: "addr-addr perms off dev inode [path]"
            inside = fields[-1] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_workers_share_the_flat_index_file_instead_of_copying_it(tmp_path):
    """Loaded from a file mapping (page cache, shared by every worker), not read into private memory."""
    vectors = np.random.default_rng(0).standard_normal((20_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    path = tmp_path / "vectors.faiss"
    write_faiss(build_faiss(vectors, "flat"), path)
    index = read_faiss(path, "flat")
    _, rows = index.search(vectors[:50], 1)
    assert rows[:, 0].tolist() == list(range(50))
    assert mapped_kb(path) > 0.9 * path.stat().st_size / 1024  # the 29 MB of vectors are the file's pages


def test_passage_ids_are_stable_across_two_builds(built_copy, encoder):
    corpus, index = built_copy
    first = load_index(index)
    second = load_index(index, folder=build_index(corpus, index, encoder, progress=False))
    assert second.version != first.version
    assert [p.model_dump() for p in second.passages] == [p.model_dump() for p in first.passages]


def test_the_demo_index_has_the_ids_the_parser_gives(service):
    (doc,) = load_documents(CORPUS_DIR)
    assert [p.passage_id for p in service.store.passages] == [p.passage_id for p in doc.passages]
    assert service.store.passages[0].passage_id == f"{PAPER}.zh.0001"


def test_current_switches_only_after_the_new_version_is_complete(built_copy, encoder, monkeypatch):
    corpus, index = built_copy
    old = live_version(index).name
    seen_during_build = {}
    real_write = write_module._write_files

    def observe_then_write(tmp, *args, **kwargs):
        real_write(tmp, *args, **kwargs)
        # Every file of the new version is written, but not yet live.
        seen_during_build["live"] = live_version(index).name
        seen_during_build["versions"] = sorted(p.name for p in index.glob("v*"))

    monkeypatch.setattr(write_module, "_write_files", observe_then_write)
    new = build_index(corpus, index, encoder, progress=False)
    assert seen_during_build == {"live": old, "versions": [old]}
    assert live_version(index) == new != index / old
    load_index(index, corpus, encoder.model_id)  # the new version verifies


def test_a_build_that_fails_midway_leaves_the_old_version_live(built_copy, encoder, monkeypatch):
    corpus, index = built_copy
    old = live_version(index)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    # passages.jsonl and vectors.npy are written by then; the FAISS file fails.
    monkeypatch.setattr(write_module, "write_faiss", crash)
    with pytest.raises(OSError, match="disk full"):
        build_index(corpus, index, encoder, progress=False)
    assert live_version(index) == old
    assert sorted(p.name for p in index.iterdir() if p.name.startswith(("v", ".build-"))) == [old.name]
    load_index(index, corpus, encoder.model_id)


@pytest.mark.parametrize("name", ["vectors.npy", "passages.jsonl", "vectors.faiss", "documents.json"])
def test_a_corrupted_file_is_refused_with_its_name(built_copy, name):
    corpus, index = built_copy
    flip_bytes(live_version(index) / name)
    with pytest.raises(StoreCorrupt, match=name.replace(".", r"\.")) as err:
        load_index(index)
    assert "qa build" in str(err.value)


def test_a_missing_file_or_version_is_refused(built_copy):
    corpus, index = built_copy
    folder = live_version(index)
    (folder / "vectors.faiss").unlink()
    with pytest.raises(StoreCorrupt, match=r"vectors\.faiss is missing"):
        load_index(index)
    shutil.rmtree(folder)
    with pytest.raises(StoreCorrupt, match=folder.name):
        load_index(index)


def test_a_missing_index_says_to_run_qa_build(tmp_path):
    with pytest.raises(StoreMissing, match=r"run `qa build`"):
        load_index(tmp_path / "nothing-here")


def append_paragraph(corpus: Path) -> None:
    path = corpus / "tiny.zh-en.txt"
    path.write_text(path.read_text(encoding="utf-8") + EXTRA_PARAGRAPH + "\n", encoding="utf-8")


def test_an_index_of_a_changed_corpus_is_stale(built_copy, encoder):
    corpus, index = built_copy
    append_paragraph(corpus)
    with pytest.raises(StoreStale, match=r"corpus .* changed .*run `qa build`"):
        load_index(index, corpus, encoder.model_id)


def test_an_index_of_another_model_is_stale(built_copy, encoder):
    corpus, index = built_copy
    with pytest.raises(StoreStale, match=rf"built with model {encoder.model_id}"):
        load_index(index, corpus, "some-other-model@1")


@pytest.mark.parametrize("component", ["format", "parser", "splitter", "tokenizer"])
def test_an_index_written_by_other_rules_is_stale(built_copy, component):
    corpus, index = built_copy
    manifest_path = live_version(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["versions"][component] += 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(StoreStale, match=component):
        load_index(index)


def test_the_service_refuses_a_stale_index_without_auto_build(built_copy, encoder):
    corpus, index = built_copy
    append_paragraph(corpus)
    settings = Settings(corpus_dir=corpus, index_dir=index, auto_build=False)
    with pytest.raises(StoreStale, match="run `qa build`"):
        open_service(settings, progress=False, encoder=encoder)
    with pytest.raises(StoreMissing, match="run `qa build`"):
        open_service(settings.model_copy(update={"index_dir": index / "empty"}), progress=False, encoder=encoder)


def test_the_service_rebuilds_a_stale_index_with_auto_build(built_copy, encoder):
    corpus, index = built_copy
    old = live_version(index)
    append_paragraph(corpus)
    settings = Settings(corpus_dir=corpus, index_dir=index, auto_build=True)
    service = open_service(settings, progress=False, encoder=encoder)
    assert service.store.folder != old
    assert service.store.manifest["corpus_checksum"] == corpus_checksum(corpus)
    assert service.store.passages[-1].text == EXTRA_PARAGRAPH
    assert service.engine.search("语料变化后索引过期", top_k=1).hits[0].passage.text == EXTRA_PARAGRAPH
