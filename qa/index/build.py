"""Build an index version: passages + FAISS vectors + BM25, then switch to it atomically.

Layout under the index folder:
    CURRENT                 name of the live version (replaced atomically)
    v<time>-<id>/           one complete version: manifest.json, passages.jsonl, vectors.npy,
                            vectors.faiss, keyword/
A build writes into a hidden temp folder, renames it into place and only then points CURRENT
at it, so a crash at any moment leaves the previous version live.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from qa.text.sentences import sentence_spans
from qa.corpus.align import alignment_margins
from qa.corpus.models import Document, Passage
from qa.corpus.store import corpus_checksum, load_documents
from qa.embed.cache import encode_with_cache
from qa.embed.model import Encoder
from qa.fsutil import atomic_write_text, fsync_dir, sha256_file
from qa.index.format import FORMAT_VERSION, component_versions
from qa.index.keyword import KeywordIndex
from qa.index.vectors import build_faiss, choose_kind, write_faiss

log = logging.getLogger(__name__)

KEEP_VERSIONS = 2
LOW_ALIGNMENT_SIMILARITY = 0.80
# Margin (see qa.corpus.align.alignment_margins) below which a unit is reported. On the white paper
# right pairs score ≥ -0.04 and every swapped neighbour pair ≤ -0.17.
LOW_ALIGNMENT_MARGIN = -0.10


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


def score_alignments(documents: list[Document], row_of: dict[str, int], vectors: np.ndarray) -> dict:
    """Fill each alignment's embedding similarity and summarise how trustworthy they look."""
    sims = []
    low = []
    for doc in documents:
        for alignment, margin in zip(doc.alignments, alignment_margins(doc, row_of, vectors)):
            alignment.margin = margin
            zh = vectors[[row_of[i] for i in alignment.zh]].mean(axis=0)
            en = vectors[[row_of[i] for i in alignment.en]].mean(axis=0)
            sim = float(zh @ en / (np.linalg.norm(zh) * np.linalg.norm(en) + 1e-12))
            alignment.similarity = round(sim, 4)
            sims.append(sim)
            misfit = margin is not None and margin < LOW_ALIGNMENT_MARGIN
            if sim < LOW_ALIGNMENT_SIMILARITY or alignment.length_score < 0.5 or misfit:
                low.append(alignment.model_dump())
    return {
        "aligned_units": len(sims),
        "min_similarity": round(min(sims), 4) if sims else None,
        "mean_similarity": round(float(np.mean(sims)), 4) if sims else None,
        "low_confidence": low,
    }


def sentence_table(passages: list[Passage]) -> tuple[np.ndarray, list[str]]:
    """(rows of [passage row, start, end], sentence texts), in passage order."""
    table, texts = [], []
    for row, passage in enumerate(passages):
        for start, end in sentence_spans(passage.text, passage.lang):
            table.append((row, start, end))
            texts.append(passage.text[start:end])
    return np.asarray(table, dtype=np.int32).reshape(-1, 3), texts


def _write_version(tmp: Path, passages: list[Passage], documents: list[Document],
                   vectors: np.ndarray, sentences: tuple[np.ndarray, np.ndarray], kind: str,
                   manifest: dict) -> None:
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as handle:
        for passage in passages:
            handle.write(passage.model_dump_json() + "\n")
    (tmp / "documents.json").write_text(json.dumps(
        [{"doc_id": d.doc_id, "title": d.title, "source": d.source, "format": d.format,
          "passages": {"zh": d.count("zh"), "en": d.count("en")},
          "alignments": [a.model_dump() for a in d.alignments]} for d in documents],
        ensure_ascii=False), encoding="utf-8")
    np.save(tmp / "vectors.npy", vectors)
    np.save(tmp / "sentences.npy", sentences[0])
    np.save(tmp / "sentence_vectors.npy", sentences[1])
    write_faiss(build_faiss(vectors, kind), tmp / "vectors.faiss")
    KeywordIndex.build([p.text for p in passages]).save(tmp / "keyword")
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
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
        if tmp.is_dir() and time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)  # left behind by a crashed build


def build_index(corpus_dir: Path, index_dir: Path, encoder: Encoder, batch_size: int = 32,
                progress: bool = True) -> Path:
    """Build a new version and make it live; returns its folder."""
    started = time.perf_counter()
    with build_lock(index_dir):
        checksum = corpus_checksum(corpus_dir)
        documents = load_documents(corpus_dir)
        passages = [p for doc in documents for p in doc.passages]
        # Unchanged passages reuse their embeddings from the previous build (qa/embed/cache.py).
        # Sentence vectors let /v1/ask pick the answering sentence without encoding at query time.
        spans, sentence_texts = sentence_table(passages)
        texts = [p.text for p in passages] + sentence_texts
        log.info("embedding %d passages and %d sentences from %d document(s)",
                 len(passages), len(sentence_texts), len(documents))
        # Unchanged passages reuse their embeddings from the previous build (qa/embed/cache.py).
        all_vectors = encode_with_cache(encoder, texts, index_dir, batch_size, progress)
        vectors, sentence_vectors = all_vectors[: len(passages)], all_vectors[len(passages):]
        row_of = {p.passage_id: i for i, p in enumerate(passages)}
        alignment = score_alignments(documents, row_of, vectors)
        kind = choose_kind(len(passages))
        stamp = datetime.now(timezone.utc)
        name = f"v{stamp:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        manifest = {
            "format_version": FORMAT_VERSION,
            "versions": component_versions(),
            "version": name,
            "model_id": encoder.model_id,
            "dimension": encoder.dimension,
            "corpus_checksum": checksum,
            "passage_count": len(passages),
            "passages_by_lang": {lang: sum(p.lang == lang for p in passages) for lang in ("zh", "en")},
            "documents": [d.doc_id for d in documents],
            "index_kind": kind,
            "built_at": stamp.isoformat(timespec="seconds"),
            "build_seconds": None,
            "alignment": alignment,
        }
        tmp = index_dir / f".build-{name}"
        tmp.mkdir(parents=True)
        try:
            manifest["build_seconds"] = round(time.perf_counter() - started, 2)
            _write_version(tmp, passages, documents, vectors, (spans, sentence_vectors), kind, manifest)
            os.rename(tmp, index_dir / name)
            fsync_dir(index_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        atomic_write_text(index_dir / "CURRENT", name + "\n")
        _prune(index_dir, name)
        return index_dir / name
