"""Index versions under crashes, corruption and live reloads; the embedding cache."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from _apps import app_with
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.embed.cache import CACHE_DIR
from qa.embed.model import Encoder
from qa.fsutil import atomic_write_json, atomic_write_text
from qa.index.build import build_index, sentence_table
from qa.service import open_service
from qa.settings import PROJECT_ROOT
from qa.store.base import StoreCorrupt, StoreStale
from qa.store.local.load import live_version, load_index

CORPUS_DIR = PROJECT_ROOT / "corpus"
EXTRA_DOC = """Hydrogen note

Green hydrogen made with wind and solar power can replace coal in steel making.

Pipelines for hydrogen need new materials because the gas makes steel brittle.

Fuel cell trucks already run on several freight corridors.
"""


class CountingEncoder(Encoder):
    """The real encoder, recording which passage texts it was asked to embed."""

    def __init__(self, encoder: Encoder) -> None:
        super().__init__(encoder.model, encoder.model_id, encoder.dimension)
        self.embedded: list[str] = []

    def encode_documents(self, texts, batch_size=32, progress=False):
        self.embedded.extend(texts)
        return super().encode_documents(texts, batch_size, progress)


@pytest.fixture
def index_copy(settings, service, tmp_path) -> Path:
    """A private copy of the session's built index (embedding cache included)."""
    target = tmp_path / "index"
    shutil.copytree(settings.index_dir, target, ignore=shutil.ignore_patterns(".build*"))
    return target


def run_build(index_dir: Path, **popen) -> subprocess.Popen:
    env = os.environ | {"QA_INDEX_DIR": str(index_dir), "QA_CORPUS_DIR": str(CORPUS_DIR)}
    return subprocess.Popen([sys.executable, "-m", "qa.cli", "-v", "build"], env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)


def wait_for_line(process: subprocess.Popen, needle: str, timeout: float) -> bool:
    """Whether a line of the process's stderr contains `needle` within `timeout` seconds. The
    lines are read on a thread, so the deadline holds even while the process prints nothing."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stderr:
            lines.put(line)
        lines.put(None)  # end of output

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            return False
        if line is None:
            return False
        if needle in line:
            return True
    return False


def assert_serves(settings, encoder, index_dir: Path, version: str) -> None:
    """A freshly started server (no auto-build) serves `version` from `index_dir`."""
    changed = settings.model_copy(update={"index_dir": index_dir, "auto_build": False})
    service = open_service(changed, progress=False, encoder=encoder)
    with TestClient(app_with(changed, service)) as client:
        assert client.get("/readyz").json()["index_version"] == version
        assert client.post("/v1/search", json={"query": "carbon peak"}).status_code == 200


def test_embedding_cache_embeds_only_new_passages(encoder, index_copy, small_corpus, tmp_path):
    index_dir = tmp_path / "fresh-index"
    shutil.copytree(index_copy / CACHE_DIR, index_dir / CACHE_DIR)  # the session build's cache
    spy = CountingEncoder(encoder)
    first = load_index(index_dir, folder=build_index(small_corpus, index_dir, spy, progress=False))
    assert spy.embedded == []  # every passage of the paper was cached by text
    (small_corpus / "hydrogen-note.en.txt").write_text(EXTRA_DOC, encoding="utf-8")
    second = load_index(index_dir, folder=build_index(small_corpus, index_dir, spy, progress=False))
    new = [p for p in second.passages if p.doc_id == "hydrogen-note"]
    new_texts = {p.text for p in new} | set(sentence_table(new)[1])  # passages and their sentences
    assert new and {p.text for p in new} <= set(spy.embedded) <= new_texts
    assert len(spy.embedded) == len(set(spy.embedded))  # each new text embedded once
    for passage in first.passages:  # unchanged passages keep their exact vectors
        assert np.array_equal(second.vectors_matrix[second.row_of(passage.passage_id)],
                              first.vectors_matrix[first.row_of(passage.passage_id)])
    fresh = encoder.encode_documents([p.text for p in new])
    assert np.allclose(second.vectors([second.row_of(p.passage_id) for p in new]), fresh, atol=1e-5)


def test_damaged_embedding_cache_is_ignored(encoder, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hydrogen-note.en.txt").write_text(EXTRA_DOC, encoding="utf-8")
    index_dir = tmp_path / "index"
    spy = CountingEncoder(encoder)
    build_index(corpus, index_dir, spy, progress=False)
    count = len(spy.embedded)
    assert count > 0
    for cache_file in (index_dir / CACHE_DIR).iterdir():
        cache_file.write_bytes(b"not an npz file")
    folder = build_index(corpus, index_dir, spy, progress=False)
    assert len(spy.embedded) == 2 * count  # embedded again, and the build still succeeded
    assert load_index(index_dir, folder=folder).size == count


def test_kill_9_while_embedding_keeps_previous_version(settings, encoder, index_copy):
    shutil.rmtree(index_copy / CACHE_DIR)  # nothing cached: the build spends seconds embedding
    previous = live_version(index_copy).name
    process = run_build(index_copy)
    try:
        # `qa -v build` logs before it starts embedding.
        assert wait_for_line(process, "embedding", timeout=180), "the build never logged its embedding"
        assert process.poll() is None, "the build ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert live_version(index_copy).name == previous
    assert_serves(settings, encoder, index_copy, previous)


# Runs `qa build` with the version writer held right after every file of the new version is
# written (before it is renamed into place and made live), so the kill lands there every time.
HELD_BUILD = """
import pathlib, sys, time
import qa.store.local.write as write
real, marker = write._write_files, pathlib.Path(sys.argv[1])
def held(tmp, *args, **kwargs):
    real(tmp, *args, **kwargs)
    marker.touch()
    time.sleep(600)
write._write_files = held
sys.argv = ["qa", "build"]
from qa.cli import main
main()
"""


def test_kill_9_while_writing_leaves_the_previous_version_live(settings, encoder, index_copy, tmp_path):
    previous = live_version(index_copy).name
    marker = tmp_path / "written"
    env = os.environ | {"QA_INDEX_DIR": str(index_copy), "QA_CORPUS_DIR": str(CORPUS_DIR)}
    process = subprocess.Popen([sys.executable, "-c", HELD_BUILD, str(marker)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert process.poll() is None, "the build ended before writing its files"
            assert time.monotonic() < deadline, "the build never reached the writing stage"
            time.sleep(0.1)
        assert any(index_copy.glob(".build-*")), "the new version is being written"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert live_version(index_copy).name == previous
    assert load_index(index_copy, CORPUS_DIR, encoder.model_id).version == previous
    # The lock died with the process: the next build runs, goes live and cleans up.
    finished = run_build(index_copy)
    _, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err[-2000:]
    assert live_version(index_copy).name != previous
    assert_serves(settings, encoder, index_copy, live_version(index_copy).name)


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


# Flipped bytes and missing files are covered in tests/store/test_local.py; these are the other damages.
@pytest.mark.parametrize("damage, expected", [
    (lambda v: (v / "passages.jsonl").write_bytes((v / "passages.jsonl").read_bytes()[:-100]),
     "passages.jsonl is corrupted"),
    (lambda v: (v / "manifest.json").write_text("{trunc"), "manifest.json is unreadable"),
])
def test_corrupted_index_is_refused_with_a_clear_message(index_copy, damage, expected):
    damage(live_version(index_copy))
    with pytest.raises(StoreCorrupt, match=expected) as refused:
        load_index(index_copy, CORPUS_DIR, "any")
    assert "qa build" in str(refused.value)


def test_server_without_auto_build_reports_a_corrupted_index(settings, index_copy):
    _flip_byte(live_version(index_copy) / "vectors.npy")
    app = create_app(settings.model_copy(update={"index_dir": index_copy, "auto_build": False,
                                                 "reload_poll_seconds": 0}))
    with TestClient(app) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and app.state.holder.error is None:
            time.sleep(0.1)
        response = client.get("/readyz")
        searched = client.post("/v1/search", json={"query": "carbon"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "index_unavailable"
    assert "vectors.npy is corrupted" in response.json()["error"]["message"]
    assert searched.status_code == 503


@pytest.fixture
def live_app(settings, encoder, index_copy):
    """A server on a private index copy, with an admin key and no watcher."""
    changed = settings.model_copy(update={"index_dir": index_copy, "auto_build": False})
    service = open_service(changed, progress=False, encoder=encoder)
    return app_with(changed, service, admin_keys=["adm-key"])


ADMIN = {"Authorization": "Bearer adm-key"}


def test_admin_reload_switches_without_dropping_requests(live_app, encoder, index_copy):
    with TestClient(live_app) as client:
        old = client.get("/readyz").json()["index_version"]
        assert client.post("/v1/admin/reload", headers=ADMIN).json()["status"] == "unchanged"
        built: list[Path] = []
        builder = threading.Thread(target=lambda: built.append(
            build_index(CORPUS_DIR, index_copy, encoder, progress=False)))
        builder.start()
        codes = []
        while builder.is_alive():  # searches keep being answered while a version is built
            codes.append(client.post("/v1/search", json={"query": "碳中和", "top_k": 2}).status_code)
        builder.join()
        assert codes and set(codes) == {200}
        assert client.get("/readyz").json()["index_version"] == old  # no watcher: not yet
        switched = client.post("/v1/admin/reload", headers=ADMIN).json()
        assert switched == {"status": "reloaded", "index_version": built[0].name, "previous_version": old}
        assert client.get("/readyz").json()["index_version"] == built[0].name
        assert client.post("/v1/search", json={"query": "carbon"}).status_code == 200


def test_reload_refuses_corrupt_or_mismatched_version(live_app, encoder, index_copy):
    with TestClient(live_app) as client:
        old = client.get("/readyz").json()["index_version"]
        corrupt = build_index(CORPUS_DIR, index_copy, encoder, progress=False)
        _flip_byte(corrupt / "vectors.npy")
        refused = client.post("/v1/admin/reload", headers=ADMIN)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "index_refused"
        assert "corrupted" in refused.json()["error"]["message"]
        # another model's index under the right name: stale, refused as well
        foreign = index_copy / "v99990101T000000-other"
        shutil.copytree(index_copy / old, foreign)
        manifest = load_index(index_copy, folder=foreign).manifest | {"model_id": "other-model@1"}
        atomic_write_json(foreign / "manifest.json", manifest)
        atomic_write_text(index_copy / "CURRENT", foreign.name + "\n")
        stale = client.post("/v1/admin/reload", headers=ADMIN)
        assert stale.status_code == 409 and "other-model@1" in stale.json()["error"]["message"]
        assert client.get("/readyz").json()["index_version"] == old
        assert client.post("/v1/search", json={"query": "carbon"}).status_code == 200
    with pytest.raises(StoreStale):
        load_index(index_copy, CORPUS_DIR, encoder.model_id)


def test_watcher_picks_up_a_new_version_and_skips_a_bad_one(settings, encoder, index_copy):
    changed = settings.model_copy(update={"index_dir": index_copy, "auto_build": False})
    service = open_service(changed, progress=False, encoder=encoder)
    app = app_with(changed, service, reload_poll_seconds=0.1)

    def served(client) -> str:
        return client.get("/readyz").json()["index_version"]

    def wait_for(client, version: str, seconds: float = 30) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if served(client) == version:
                return True
            time.sleep(0.05)
        return False

    with TestClient(app) as client:
        good = build_index(CORPUS_DIR, index_copy, encoder, progress=False)
        assert wait_for(client, good.name)
        bad = index_copy / "v99990101T000000-broken"  # a damaged version made live
        shutil.copytree(good, bad)
        _flip_byte(bad / "vectors.faiss")
        atomic_write_text(index_copy / "CURRENT", bad.name + "\n")
        assert not wait_for(client, bad.name, seconds=1.0)
        assert served(client) == good.name
