"""A background build's encoder: small slices, real progress, a way to stop; its priority."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from qa.embed.shared import SlicedBuildEncoder
from qa.embed.threads import lower_thread_priority, nice_for_share, run_at_lower_priority


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
    shared = SlicedBuildEncoder(inner, counted.append, slice_texts=3)
    texts = [f"t{'x' * n}" for n in range(8)]
    vectors = shared.encode_documents(texts, batch_size=32)
    assert [len(c) for c in inner.calls] == [3, 3, 2]
    assert vectors[:, 0].tolist() == [len(t) for t in texts]
    assert counted == [3, 3, 2]
    assert shared.dimension == 2  # everything else is the wrapped encoder's


def test_a_stop_raised_by_progress_ends_the_build():
    inner = Recording()

    def stop_after_two(count: int) -> None:
        if len(inner.calls) == 2:
            raise RuntimeError("cancelled")

    shared = SlicedBuildEncoder(inner, stop_after_two, slice_texts=1)
    with pytest.raises(RuntimeError, match="cancelled"):
        shared.encode_documents(["a", "b", "c", "d"])
    assert len(inner.calls) == 2


def test_a_build_share_maps_to_a_lower_priority():
    assert nice_for_share(0.5) == 0 and nice_for_share(1.0) == 0
    assert nice_for_share(0.25) < nice_for_share(0.1) < nice_for_share(0.01) == 19


def test_only_the_calling_thread_is_lowered_and_never_raised_back():
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    target = min(19, mine + 5)
    levels: dict[str, int] = {}

    def worker() -> None:
        levels["lowered"] = lower_thread_priority(target)
        levels["again"] = lower_thread_priority(mine)  # asks for more priority: refused quietly
        levels["os"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert levels == {"lowered": target, "again": target, "os": target}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # this thread is untouched


def test_work_at_lower_priority_runs_on_its_own_thread_and_passes_back_its_result_and_errors():
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    target = min(19, mine + 3)

    def priority_there() -> tuple[int, bool]:
        on_its_own = threading.current_thread().name == "qa-lowered"
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), on_its_own

    assert run_at_lower_priority(target, priority_there) == (target, True)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine

    def fails() -> None:
        raise ValueError("no corpus")

    with pytest.raises(ValueError, match="no corpus"):
        run_at_lower_priority(target, fails)
