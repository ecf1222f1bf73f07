"""A build's encoder that shares the model with the queries of a running server.

The model runs one call at a time, and a call cannot be interrupted: a build encoding 32
passages per call would hold every query behind it for that whole call. So a background build
encodes documents in small slices, and before each slice it lets waiting queries go first,
for up to (1 − share) / share times the slice it just ran: the build keeps at least `share` of
the encoder's time while queries compete and all of it while they do not. Each slice reports
its count (`on_texts`: real progress, and the place a cancelled job stops).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

BUILD_SLICE_TEXTS = 4  # passages per model call of a background build
POLL_SECONDS = 0.005


class SharedBuildEncoder:
    def __init__(
        self,
        encoder,
        on_texts: Callable[[int], None],
        queries_waiting: Callable[[], bool],
        share: float = 0.5,
        slice_texts: int = BUILD_SLICE_TEXTS,
    ) -> None:
        if not 0 < share <= 1 or slice_texts < 1:
            raise ValueError("0 < share ≤ 1 and slice_texts ≥ 1")
        self.encoder = encoder
        self.on_texts = on_texts
        self.queries_waiting = queries_waiting
        self.share = share
        self.slice_texts = slice_texts
        self._owed = 0.0  # seconds queries may still take before the next slice

    def __getattr__(self, name: str):
        if name == "encoder":  # not set yet (e.g. during copy): no recursion
            raise AttributeError(name)
        return getattr(self.encoder, name)

    def _let_queries_go_first(self) -> None:
        deadline = time.monotonic() + self._owed
        while self.queries_waiting() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)

    def encode_documents(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return self.encoder.encode_documents(texts, batch_size=batch_size)
        parts = []
        for start in range(0, len(texts), self.slice_texts):
            part = texts[start : start + self.slice_texts]
            self._let_queries_go_first()
            began = time.perf_counter()
            parts.append(self.encoder.encode_documents(part, batch_size=len(part)))
            self._owed = (time.perf_counter() - began) * (1 - self.share) / self.share
            self.on_texts(len(part))
        return np.concatenate(parts)
