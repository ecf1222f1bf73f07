"""A build's encoder inside a running server: small slices, real progress, a place to stop.

A build started by an upload runs on a model of its own, on a worker thread at a lower CPU
priority than the queries (qa.embed.threads.lower_thread_priority): a query never waits for a
build's model call, and takes the cores from the build whenever it needs them, while the build
has whatever the queries leave. So this wrapper only cuts the work into slices: each slice
reports its count (`on_texts`: real progress, and the place a cancelled job stops).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BUILD_SLICE_TEXTS = 8  # passages per model call of a background build


class SlicedBuildEncoder:
    def __init__(self, encoder, on_texts: Callable[[int], None], slice_texts: int = BUILD_SLICE_TEXTS) -> None:
        if slice_texts < 1:
            raise ValueError("slice_texts must be ≥ 1")
        self.encoder = encoder
        self.on_texts = on_texts
        self.slice_texts = slice_texts

    def __getattr__(self, name: str):
        if name == "encoder":  # not set yet (e.g. during copy): no recursion
            raise AttributeError(name)
        return getattr(self.encoder, name)

    def encode_documents(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return self.encoder.encode_documents(texts, batch_size=batch_size)
        parts = []
        for start in range(0, len(texts), self.slice_texts):
            part = texts[start : start + self.slice_texts]
            parts.append(self.encoder.encode_documents(part, batch_size=len(part)))
            self.on_texts(len(part))
        return np.concatenate(parts)
