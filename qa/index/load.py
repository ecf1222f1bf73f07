"""Open the live index version, refusing a missing, corrupted or stale one with a clear message."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from qa.corpus.models import Passage
from qa.corpus.store import corpus_checksum
from qa.fsutil import sha256_file
from qa.index.format import stale_components
from qa.index.keyword import KeywordIndex
from qa.index.vectors import read_faiss


class IndexError_(RuntimeError):
    """Base: the index cannot be served."""


class IndexMissing(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexStale(IndexError_):
    pass


@dataclass
class IndexBundle:
    folder: Path
    manifest: dict
    passages: list[Passage]
    vectors: np.ndarray  # row i = passage i, normalised (memory-mapped)
    faiss_index: faiss.Index
    keyword: KeywordIndex
    documents: list[dict]
    sentence_spans: np.ndarray  # rows of [passage row, start, end], grouped by passage
    sentence_vectors: np.ndarray
    row_of: dict[str, int] = field(default_factory=dict)
    partner_rows: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.row_of = {p.passage_id: i for i, p in enumerate(self.passages)}
        self.partner_rows = [[self.row_of[t.passage_id] for t in p.translations if t.passage_id in self.row_of]
                             for p in self.passages]
        rows = np.asarray(self.sentence_spans[:, 0]) if len(self.sentence_spans) else np.zeros(0, int)
        self._sentence_bounds = np.searchsorted(rows, np.arange(len(self.passages) + 1))

    def sentences_of(self, row: int) -> range:
        """Indices into sentence_spans / sentence_vectors of passage `row`'s sentences."""
        return range(int(self._sentence_bounds[row]), int(self._sentence_bounds[row + 1]))

    @property
    def version(self) -> str:
        return self.manifest["version"]


def live_version(index_dir: Path) -> Path:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        raise IndexMissing(f"no index in {index_dir}: run `qa build`")
    folder = index_dir / pointer.read_text().strip()
    if not folder.is_dir():
        raise IndexCorrupt(f"{pointer} names {folder.name}, which does not exist: run `qa build`")
    return folder


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{folder.name}/manifest.json is unreadable ({exc}): run `qa build`") from exc
    stale = stale_components(manifest)
    if stale:
        raise IndexStale(f"index {folder.name} was written by other rules ({', '.join(stale)}): "
                         "run `qa build`")
    return manifest


def verify_files(folder: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"index file {folder.name}/{name} is missing: run `qa build`")
        if sha256_file(path) != expected:
            raise IndexCorrupt(f"index file {folder.name}/{name} is corrupted (checksum mismatch): "
                               "run `qa build`")


def check_fresh(manifest: dict, corpus_dir: Path, model_id: str) -> None:
    if manifest["model_id"] != model_id:
        raise IndexStale(f"index was built with model {manifest['model_id']}, but QA_MODEL gives "
                         f"{model_id}: run `qa build`")
    if manifest["corpus_checksum"] != corpus_checksum(corpus_dir):
        raise IndexStale(f"the corpus in {corpus_dir} changed since the index was built: run `qa build`")


def load_index(index_dir: Path, corpus_dir: Path | None = None, model_id: str | None = None,
               folder: Path | None = None) -> IndexBundle:
    """Load and verify the live version (or `folder`); with corpus_dir/model_id, also check freshness."""
    folder = folder or live_version(index_dir)
    manifest = read_manifest(folder)
    verify_files(folder, manifest)
    if corpus_dir is not None and model_id is not None:
        check_fresh(manifest, corpus_dir, model_id)
    try:
        with open(folder / "passages.jsonl", encoding="utf-8") as handle:
            passages = [Passage.model_validate_json(line) for line in handle if line.strip()]
        documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        faiss_index = read_faiss(folder / "vectors.faiss", manifest["index_kind"])
        keyword = KeywordIndex.load(folder / "keyword", len(passages))
        sentence_spans = np.load(folder / "sentences.npy")
        sentence_vectors = np.load(folder / "sentence_vectors.npy", mmap_mode="r")
    except Exception as exc:  # a checksum-valid file that still fails to parse
        raise IndexCorrupt(f"index {folder.name} cannot be read ({exc}): run `qa build`") from exc
    if not (len(passages) == vectors.shape[0] == faiss_index.ntotal == manifest["passage_count"]):
        raise IndexCorrupt(f"index {folder.name} is inconsistent: passage and vector counts differ")
    if len(sentence_spans) != len(sentence_vectors):
        raise IndexCorrupt(f"index {folder.name} is inconsistent: sentence and vector counts differ")
    return IndexBundle(folder, manifest, passages, vectors, faiss_index, keyword, documents,
                       sentence_spans, sentence_vectors)
