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
from tqdm.auto import tqdm

from qa.embed.model import Encoder
from qa.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

CACHE_DIR = "embed-cache"
# Characters per text a batch may average: 32 texts × 256 characters ≈ 4,000 tokens a call.
CHARS_PER_TEXT = 256


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
            if (
                model_id != self.model_id
                or keys.ndim != 2
                or keys.shape[1] != 32
                or vectors.shape != (keys.shape[0], self.dimension)
                or not np.isfinite(vectors).all()
            ):
                raise ValueError("shape or model mismatch")
        except Exception as exc:  # any damage: ignore the cache, never the build
            log.warning("ignoring embedding cache %s (%s)", self.path, exc)
            return {}
        return {bytes(k): v for k, v in zip(keys, vectors.astype(np.float32, copy=False))}

    def save(self, keys: list[bytes], vectors: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32),
            vectors=np.asarray(vectors, dtype=np.float32),
            model_id=np.array(self.model_id),
        )
        atomic_write_bytes(self.path, buffer.getvalue())


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


def encode_texts(encoder: Encoder, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """encoder.encode_documents(texts) in length-sorted batches, progress counted in texts."""
    out = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    with tqdm(total=len(texts), unit="text", desc="Embedding", disable=not progress or not texts) as bar:
        for batch in length_batches(texts, batch_size):
            out[batch] = encoder.encode_documents([texts[i] for i in batch], batch_size=len(batch))
            bar.update(len(batch))
    return out


def encode_with_cache(
    encoder: Encoder,
    texts: list[str],
    index_dir: Path,
    batch_size: int = 32,
    progress: bool = False,
    known: dict[bytes, np.ndarray] | None = None,
) -> np.ndarray:
    """encoder.encode_documents(texts): each distinct text once, reusing the vectors of texts
    embedded by an earlier build (and `known` ones, embedded earlier in this build)."""
    cache = EmbeddingCache(index_dir, encoder.model_id, encoder.dimension)
    known = {**cache.load(), **(known or {})}
    keys = [text_key(encoder.model_id, t) for t in texts]
    todo: dict[bytes, str] = {}
    for key, text in zip(keys, texts):
        if key not in known:
            todo.setdefault(key, text)
    log.info("embedding %d new text(s); %d from the cache", len(todo), len(texts) - len(todo))
    if todo:
        fresh = encode_texts(encoder, list(todo.values()), batch_size, progress)
        known.update(zip(todo.keys(), fresh))
    vectors = np.stack([known[k] for k in keys]) if keys else np.zeros((0, encoder.dimension), np.float32)
    unique = list(dict.fromkeys(keys))
    cache.save(unique, np.stack([known[k] for k in unique]) if unique else vectors)
    return np.ascontiguousarray(vectors, dtype=np.float32)
