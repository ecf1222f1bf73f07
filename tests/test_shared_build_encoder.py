"""A background build's encoder: small slices, queries first, real progress, a way to stop."""

from __future__ import annotations

import numpy as np
import pytest

from qa.embed.shared import SharedBuildEncoder


class Recording:
    """An encoder that records each call's texts (one 2-d vector per text)."""

    dimension = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode_documents(self, texts, batch_size=32, progress=False):
        self.calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_texts_are_encoded_in_slices_in_order_and_counted():
    inner, counted = Recording(), []
    shared = SharedBuildEncoder(inner, counted.append, lambda: False, share=0.5, slice_texts=3)
    texts = [f"t{'x' * n}" for n in range(8)]
    vectors = shared.encode_documents(texts, batch_size=32)
    assert [len(c) for c in inner.calls] == [3, 3, 2]
    assert vectors[:, 0].tolist() == [len(t) for t in texts]
    assert counted == [3, 3, 2]
    assert shared.dimension == 2  # everything else is the wrapped encoder's


def test_waiting_queries_go_first_and_a_stop_raised_by_progress_ends_the_build():
    inner, polls = Recording(), []

    def queries_waiting() -> bool:
        polls.append(len(inner.calls))
        return True  # always busy: the build still gets its share, it is never starved

    def stop_after_two(count: int) -> None:
        if len(inner.calls) == 2:
            raise RuntimeError("cancelled")

    shared = SharedBuildEncoder(inner, stop_after_two, queries_waiting, share=0.9, slice_texts=1)
    with pytest.raises(RuntimeError, match="cancelled"):
        shared.encode_documents(["a", "b", "c", "d"])
    assert len(inner.calls) == 2
    assert 1 in polls  # it looked for waiting queries before its second slice
