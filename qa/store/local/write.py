"""Write an index version as a local folder and switch to it atomically.

Layout under the index folder:
    CURRENT                 name of the live version (replaced atomically)
    v<time>-<id>/           one complete version: manifest.json, passages.jsonl, documents.json,
                            vectors.npy, vectors.faiss, sentences.npy, sentence_vectors.npy, keyword/
A build writes into a hidden temp folder, renames it into place and only then points CURRENT
at it, so a crash at any moment leaves the previous version live.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from qa.fsutil import atomic_write_text, fsync_dir, sha256_file
from qa.store.base import IndexData, document_summaries
from qa.store.local.keyword import KeywordIndex
from qa.store.local.load import CURRENT
from qa.store.local.vectors import build_faiss, choose_kind, write_faiss

KEEP_VERSIONS = 2
STALE_TEMP_SECONDS = 3600


@contextmanager
def build_lock(index_dir: Path):
    """One build at a time per index folder (other builders wait)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_files(tmp: Path, data: IndexData, kind: str) -> None:
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as handle:
        for passage in data.passages:
            handle.write(passage.model_dump_json() + "\n")
    (tmp / "documents.json").write_text(
        json.dumps(
            document_summaries(data),
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    np.save(tmp / "vectors.npy", data.vectors)
    np.save(tmp / "sentences.npy", data.sentence_spans)
    np.save(tmp / "sentence_vectors.npy", data.sentence_vectors)
    write_faiss(build_faiss(data.vectors, kind), tmp / "vectors.faiss")
    KeywordIndex.build_from_tokens(data.keyword_tokens).save(tmp / "keyword")
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = dict(data.manifest, index_kind=kind)
    manifest["files"] = {str(p.relative_to(tmp)): sha256_file(p) for p in files}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    for path in [*files, tmp / "manifest.json"]:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _prune(index_dir: Path, live: str) -> None:
    versions = sorted(p for p in index_dir.glob("v*") if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != live:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob(".build-*"):
        if tmp.is_dir() and time.time() - tmp.stat().st_mtime > STALE_TEMP_SECONDS:
            shutil.rmtree(tmp, ignore_errors=True)  # left behind by a crashed build


def write_local_version(index_dir: Path, data: IndexData) -> Path:
    """Write `data` as version `data.manifest["version"]`, make it live, return its folder."""
    name = data.manifest["version"]
    kind = choose_kind(len(data.passages))
    tmp = index_dir / f".build-{name}"
    tmp.mkdir(parents=True)
    try:
        _write_files(tmp, data, kind)
        os.rename(tmp, index_dir / name)
        fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(index_dir / CURRENT, name + "\n")
    _prune(index_dir, name)
    return index_dir / name
