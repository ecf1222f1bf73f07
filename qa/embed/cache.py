"""Passage embeddings cached by sha256(model id + text), so a rebuild embeds only new text.

One .npz per model under <index_dir>/embed-cache/, replaced atomically after each build and
holding exactly the texts of that build (it never grows past the corpus). A damaged or
mismatched cache file is ignored: the worst case is embedding everything again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from pathlib import Path

import numpy as np

from qa.embed.model import Encoder
from qa.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

CACHE_DIR = "embed-cache"


def text_key(model_id: str, text: str) -> bytes:
    return hashlib.sha256(f"{model_id}\0{text}".encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    def __init__(self, index_dir: Path, model_id: str, dimension: int) -> None:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-") or "model"
        self.path = index_dir / CACHE_DIR / f"{slug}.npz"
        self.model_id = model_id
        self.dimension = dimension

    def load(self) -> dict[bytes, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
                model_id = str(data["model_id"])
            if (model_id != self.model_id or keys.ndim != 2 or keys.shape[1] != 32
                    or vectors.shape != (keys.shape[0], self.dimension)
                    or not np.isfinite(vectors).all()):
                raise ValueError("shape or model mismatch")
        except Exception as exc:  # any damage: ignore the cache, never the build
            log.warning("ignoring embedding cache %s (%s)", self.path, exc)
            return {}
        return {bytes(k): v for k, v in zip(keys, vectors.astype(np.float32, copy=False))}

    def save(self, keys: list[bytes], vectors: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32),
                 vectors=np.asarray(vectors, dtype=np.float32), model_id=np.array(self.model_id))
        atomic_write_bytes(self.path, buffer.getvalue())


def encode_with_cache(encoder: Encoder, texts: list[str], index_dir: Path, batch_size: int = 32,
                      progress: bool = False, known: dict[bytes, np.ndarray] | None = None) -> np.ndarray:
    """encoder.encode_documents(texts), reusing the vectors of texts embedded by an earlier build
    (and `known` ones, embedded earlier in this build)."""
    cache = EmbeddingCache(index_dir, encoder.model_id, encoder.dimension)
    known = {**cache.load(), **(known or {})}
    keys = [text_key(encoder.model_id, t) for t in texts]
    todo: dict[bytes, str] = {}
    for key, text in zip(keys, texts):
        if key not in known:
            todo.setdefault(key, text)
    log.info("embedding %d new text(s); %d from the cache", len(todo), len(texts) - len(todo))
    if todo:
        fresh = encoder.encode_documents(list(todo.values()), batch_size, progress)
        known.update(zip(todo.keys(), fresh))
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, encoder.dimension), np.float32)
    unique = list(dict.fromkeys(keys))
    cache.save(unique, np.stack([known[k] for k in unique]) if unique else vectors)
    return np.ascontiguousarray(vectors, dtype=np.float32)
