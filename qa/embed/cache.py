"""Passage embeddings cached by sha256(model id + text), so a rebuild embeds only new text.

One .npz per model under <index_dir>/embed-cache/, replaced atomically after each build and
holding exactly the texts of that build (it never grows past the corpus). While a build embeds,
every CHECKPOINT_TEXTS new vectors are written as a part file beside it (atomically, in
`<model>.parts/`), so a build killed midway loses at most one part: the next build reads the
parts too and embeds only the rest; the build's final save folds them in and removes them.
A damaged or mismatched cache file or part is ignored: the worst case is embedding it again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from qa.embed.model import Encoder
from qa.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

CACHE_DIR = "embed-cache"
# Characters per text a batch may average: 32 texts × 256 characters ≈ 4,000 tokens a call.
CHARS_PER_TEXT = 256
# New vectors per part file written during a build: what a crash can lose, against the cost of
# one small file write (a part holds only its own vectors, so checkpoints cost O(new texts)).
CHECKPOINT_TEXTS = 512


def text_key(model_id: str, text: str) -> bytes:
    return hashlib.sha256(f"{model_id}\0{text}".encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    def __init__(self, index_dir: Path, model_id: str, dimension: int) -> None:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-") or "model"
        self.path = index_dir / CACHE_DIR / f"{slug}.npz"
        self.model_id = model_id
        self.dimension = dimension

    @property
    def parts_dir(self) -> Path:
        return self.path.with_suffix(".parts")

    def load(self) -> dict[bytes, np.ndarray]:
        """The saved vectors and those of every part an unfinished build left."""
        files = [self.path] if self.path.is_file() else []
        if self.parts_dir.is_dir():
            files += sorted(self.parts_dir.glob("*.npz"))
        known: dict[bytes, np.ndarray] = {}
        for path in files:
            known.update(self._read(path))
        return known

    def _read(self, path: Path) -> dict[bytes, np.ndarray]:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
                model_id = str(data["model_id"])
            if (
                model_id != self.model_id
                or keys.ndim != 2
                or keys.shape[1] != 32
                or vectors.shape != (keys.shape[0], self.dimension)
                or not np.isfinite(vectors).all()
            ):
                raise ValueError("shape or model mismatch")
        except Exception as exc:  # any damage: ignore the file, never the build
            log.warning("ignoring embedding cache %s (%s)", path, exc)
            return {}
        return {bytes(k): v for k, v in zip(keys, vectors.astype(np.float32, copy=False))}

    def _write(self, path: Path, keys: list[bytes], vectors: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32),
            vectors=np.asarray(vectors, dtype=np.float32).reshape(len(keys), self.dimension),
            model_id=np.array(self.model_id),
        )
        atomic_write_bytes(path, buffer.getvalue())

    def add_part(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Keep vectors embedded so far by a build that has not finished."""
        if keys:
            self.parts_dir.mkdir(parents=True, exist_ok=True)
            self._write(self.parts_dir / f"{uuid.uuid4().hex}.npz", keys, vectors)

    def save(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """The cache of a finished build: exactly these vectors; the parts are folded in."""
        self._write(self.path, keys, vectors)
        shutil.rmtree(self.parts_dir, ignore_errors=True)


class Checkpoints:
    """Collects freshly embedded vectors and writes them as a cache part every
    CHECKPOINT_TEXTS texts (the `on_batch` of encode_texts)."""

    def __init__(self, cache: EmbeddingCache, keys: list[bytes], every: int | None = None) -> None:
        self.cache, self.keys, self.every = cache, keys, every or CHECKPOINT_TEXTS
        self._rows: list[int] = []
        self._vectors: list[np.ndarray] = []

    def __call__(self, rows: list[int], vectors: np.ndarray) -> None:
        self._rows += rows
        self._vectors.append(vectors)
        if len(self._rows) >= self.every:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self.cache.add_part([self.keys[i] for i in self._rows], np.concatenate(self._vectors))
            self._rows, self._vectors = [], []


def length_batches(texts: list[str], batch_size: int, chars_per_text: int = CHARS_PER_TEXT) -> list[list[int]]:
    """Indices of `texts`, longest first, cut into batches of at most `batch_size ×
    chars_per_text` characters: `batch_size` passages, more texts when they are short (a text
    longer than that gets a batch of its own).

    Texts of one batch are of similar length, so a padding encoder pads little; the character
    budget lets short texts (sentences) share a model call, which costs the packaged encoder a
    fixed ~10 ms whatever it holds, and bounds the memory of one call.
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    budget = max(batch_size, 1) * chars_per_text
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i in order:
        size = max(len(texts[i]), 1)
        if current and used + size > budget:
            batches.append(current)
            current, used = [], 0
        current.append(i)
        used += size
    if current:
        batches.append(current)
    return batches


def encode_texts(
    encoder: Encoder,
    texts: list[str],
    batch_size: int = 32,
    progress: bool = False,
    on_batch: Callable[[list[int], np.ndarray], None] | None = None,
) -> np.ndarray:
    """encoder.encode_documents(texts) in length-sorted batches, progress counted in texts;
    `on_batch(indices, vectors)` sees each batch as it is embedded."""
    out = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    with tqdm(total=len(texts), unit="text", desc="Embedding", disable=not progress or not texts) as bar:
        for batch in length_batches(texts, batch_size):
            out[batch] = encoder.encode_documents([texts[i] for i in batch], batch_size=len(batch))
            if on_batch is not None:
                on_batch(batch, out[batch])
            bar.update(len(batch))
    return out


def encode_with_cache(
    encoder: Encoder,
    texts: list[str],
    index_dir: Path,
    batch_size: int = 32,
    progress: bool = False,
    known: dict[bytes, np.ndarray] | None = None,
    on_reused: Callable[[int], None] | None = None,
) -> np.ndarray:
    """encoder.encode_documents(texts): each distinct text once, reusing the vectors of texts
    embedded by an earlier build, or by an interrupted one (and `known` ones, embedded earlier
    in this build); `on_reused(n)` hears how many distinct texts came from the cache."""
    cache = EmbeddingCache(index_dir, encoder.model_id, encoder.dimension)
    cached = cache.load()
    known = {**cached, **(known or {})}
    keys = [text_key(encoder.model_id, t) for t in texts]
    todo: dict[bytes, str] = {}
    for key, text in zip(keys, texts):
        if key not in known:
            todo.setdefault(key, text)
    reused = sum(key in cached for key in set(keys))
    log.info("embedding %d new text(s); %d from the cache", len(todo), reused)
    if on_reused is not None:
        on_reused(reused)
    if todo:
        checkpoints = Checkpoints(cache, list(todo))
        fresh = encode_texts(encoder, list(todo.values()), batch_size, progress, checkpoints)
        known.update(zip(todo.keys(), fresh))
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, encoder.dimension), np.float32)
    unique = list(dict.fromkeys(keys))
    cache.save(unique, np.stack([known[k] for k in unique]) if unique else vectors)
    return np.ascontiguousarray(vectors, dtype=np.float32)
