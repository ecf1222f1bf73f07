"""The bounded, cost-aware batching queue in front of the encoder (no timings: events decide)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qa.embed.batching import ENCODER_CLIENT, BatchingEncoder, BoundedBatchQueue, QueueFull
from qa.embed.tokens import estimate_tokens, token_counter


class Gate:
    """A `process` that records each batch and holds it until the test opens the gate."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, items: list[str]) -> list[str]:
        self.batches.append(list(items))
        self.entered.set()
        assert self.opened.wait(30), "the test never opened the gate"
        return [item.upper() for item in items]


def submit_in_thread(queue: BoundedBatchQueue, item: str, results: dict, client: str | None = None) -> threading.Thread:
    """Submit `item` from a new thread (as the API's `client`, if named); its result or error
    lands in `results[item]`."""

    def run() -> None:
        if client is not None:
            ENCODER_CLIENT.set(client)
        try:
            results[item] = queue.submit(item)
        except Exception as exc:  # kept for the assertions
            results[item] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until_queued(queue: BoundedBatchQueue, cost: int) -> None:
    for _ in range(3000):
        if queue.pending_cost >= cost:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"pending cost never reached {cost}: {queue.pending_cost}")


def test_each_caller_gets_its_own_result_and_pending_cost_returns_to_zero():
    queue = BoundedBatchQueue(lambda items: [i * 2 for i in items], cost=lambda i: 1, max_batch=4)
    results: dict[int, int] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, queue.submit(i))) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: i * 2 for i in range(20)}
    assert queue.pending_cost == 0
    assert queue.submit_many([1, 2, 3]) == [2, 4, 6]


def test_full_queue_refuses_at_once_with_a_retry_estimate():
    gate = Gate()
    queue = BoundedBatchQueue(gate, cost=len, max_batch=8, max_pending_cost=10)
    results: dict = {}
    first = submit_in_thread(queue, "aaaaaa", results)  # cost 6, held in the gate
    assert gate.entered.wait(30)
    with pytest.raises(QueueFull) as refused:
        queue.submit("bbbbb")  # 6 + 5 > 10: refused without waiting
    assert refused.value.pending == 6 and refused.value.limit == 10 and refused.value.retry_after > 0
    fits = submit_in_thread(queue, "cccc", results)  # 6 + 4 = 10: admitted, waits its turn
    wait_until_queued(queue, 10)
    gate.opened.set()
    first.join(), fits.join()
    assert results == {"aaaaaa": "AAAAAA", "cccc": "CCCC"}
    assert queue.pending_cost == 0


def test_submit_many_is_all_or_nothing():
    gate = Gate()
    queue = BoundedBatchQueue(gate, cost=len, max_pending_cost=10)
    results: dict = {}
    held = submit_in_thread(queue, "xxxxx", results)
    assert gate.entered.wait(30)
    with pytest.raises(QueueFull):
        queue.submit_many(["yy", "zzzz"])  # 5 + 6 > 10
    assert queue.pending_cost == 5  # nothing of the refused call was admitted
    gate.opened.set()
    held.join()


def test_an_item_costlier_than_the_bound_runs_alone_rather_than_never():
    queue = BoundedBatchQueue(lambda items: items, cost=len, max_pending_cost=3)
    assert queue.submit("longer than three") == "longer than three"


def test_cheap_items_overtake_an_expensive_one_waiting_behind_the_same_batch():
    gate = Gate()
    queue = BoundedBatchQueue(gate, cost=len, max_batch=1, max_pending_cost=10_000)
    results: dict = {}
    threads = [submit_in_thread(queue, "first", results)]
    assert gate.entered.wait(30)  # the encoder is busy with "first"
    threads.append(submit_in_thread(queue, "x" * 3000, results))  # expensive, arrives first
    wait_until_queued(queue, 3005)
    threads.append(submit_in_thread(queue, "cheap", results))
    wait_until_queued(queue, 3010)
    gate.opened.set()
    for thread in threads:
        thread.join()
    assert gate.batches == [["first"], ["cheap"], ["x" * 3000]]


def test_a_batch_stops_at_its_cost_limit():
    gate = Gate()
    queue = BoundedBatchQueue(gate, cost=len, max_batch=16, max_pending_cost=1000, max_batch_cost=8)
    results: dict = {}
    threads = [submit_in_thread(queue, "hold", results)]
    assert gate.entered.wait(30)
    for item in ("aaa", "bbb", "ccc", "ddd"):
        threads.append(submit_in_thread(queue, item, results))
    wait_until_queued(queue, 16)
    gate.opened.set()
    for thread in threads:
        thread.join()
    assert [len(batch) for batch in gate.batches] == [1, 2, 2]  # 3 + 3 ≤ 8 < 3 + 3 + 3


def test_errors_reach_every_caller_of_the_batch_and_free_the_queue():
    def broken(items):
        raise RuntimeError("engine failed")

    queue = BoundedBatchQueue(broken, cost=lambda i: 5, max_pending_cost=10)
    with pytest.raises(RuntimeError, match="engine failed"):
        queue.submit("x")
    assert queue.pending_cost == 0


def test_batching_encoder_bounds_the_queue_in_encoder_tokens(encoder):
    count = token_counter(encoder)
    batcher = BatchingEncoder(encoder, max_batch=4, max_pending_cost=64, cost=count)
    vectors = batcher.encode_queries(["carbon peak", "碳达峰"])
    assert vectors.shape == (2, encoder.dimension)
    assert np.allclose(vectors, encoder.encode_queries(["carbon peak", "碳达峰"]), atol=1e-4)
    # Alone, even a query over the whole bound is encoded (it runs by itself).
    assert count("碳中和碳达峰" * 30) > 64
    assert batcher.encode_queries(["碳中和碳达峰" * 30]).shape == (1, encoder.dimension)
    assert batcher.queue.pending_cost == 0


def test_nul_never_reaches_the_encoder():
    seen: list[str] = []

    class Spy:
        def encode_queries(self, texts):
            seen.extend(texts)
            return np.zeros((len(texts), 2), dtype=np.float32)

    BatchingEncoder(Spy()).encode_queries(["\x00carbon", "peak\x00"])
    assert seen == [" carbon", "peak "]


def test_token_count_is_the_e5_tokenizers_and_grows_with_the_text(encoder):
    count = token_counter(encoder)
    engine = encoder.model[0]._engine
    assert count("碳达峰碳中和") == engine.token_count("碳达峰碳中和", True)
    assert count("碳" * 400) > 10 * count("碳达峰")
    # A NUL does not hide the rest of the text from the count.
    assert count("\x00" + "碳" * 50) >= count("碳" * 50)


@pytest.mark.parametrize(
    "text",
    ["When will China peak its carbon emissions?", "全国碳市场覆盖了多少碳排放量？", "碳中和 carbon neutral 2060 目标"],
)
def test_the_estimate_is_near_the_real_count(encoder, text):
    real = token_counter(encoder)(text)
    assert real / 2 <= estimate_tokens(text) <= real * 2


def test_large_items_together_get_only_their_share_of_the_worker():
    gate = Gate()
    # Before any measurement a unit of cost is taken to last 1 ms: a 480-unit item, 0.48 s.
    queue = BoundedBatchQueue(gate, cost=len, max_batch=1, max_pending_cost=10_000, large_cost=100, large_share=0.25)
    results: dict = {}
    threads = [submit_in_thread(queue, "a" * 480, results)]
    assert gate.entered.wait(30)
    threads.append(submit_in_thread(queue, "b" * 480, results))  # the second fits the 1 s burst
    wait_until_queued(queue, 960)
    with pytest.raises(QueueFull) as refused:
        queue.submit("c" * 480)  # a third would take the large items past their share
    assert refused.value.retry_after > 1  # (0.48 s − what is left) at 0.25 s per second
    threads.append(submit_in_thread(queue, "short", results))  # small items are not counted
    wait_until_queued(queue, 965)
    gate.opened.set()
    for thread in threads:
        thread.join()
    assert set(results) == {"a" * 480, "b" * 480, "short"}


def test_a_flooding_client_waits_behind_a_client_that_sends_one_query():
    gate = Gate()
    queue = BoundedBatchQueue(gate, cost=len, max_batch=1, max_pending_cost=10_000)
    results: dict = {}
    flood = [f"f{n}" * 4 for n in range(6)]  # long queries, back to back
    threads = [submit_in_thread(queue, flood[0], results, "flood")]
    assert gate.entered.wait(30)  # the encoder is busy with the flood's first query
    for n in range(1, 6):
        threads.append(submit_in_thread(queue, flood[n], results, "flood"))
        wait_until_queued(queue, 8 * (n + 1))
    threads.append(submit_in_thread(queue, "s0", results, "steady"))  # a short one
    wait_until_queued(queue, 50)
    threads.append(submit_in_thread(queue, "o" * 8, results, "other"))  # as long, but its first
    wait_until_queued(queue, 58)
    gate.opened.set()
    for thread in threads:
        thread.join()
    order = [b[0] for b in gate.batches]
    assert order[:2] == [flood[0], "s0"]
    assert order.index("o" * 8) <= 3  # behind at most one more of the flood's
    assert [item for item in order if item in flood] == flood


def test_a_full_queue_refuses_the_client_already_waiting_not_the_one_that_is_not():
    gate = Gate()
    queue = BoundedBatchQueue(gate, cost=len, max_batch=1, max_pending_cost=10)
    results: dict = {}
    threads = [submit_in_thread(queue, "f" * 8, results, "flood")]
    assert gate.entered.wait(30)
    threads.append(submit_in_thread(queue, "g" * 8, results, "flood"))  # the flood's second: over the bound
    threads[-1].join()
    assert isinstance(results["g" * 8], QueueFull)
    threads.append(submit_in_thread(queue, "s" * 8, results, "steady"))  # nothing waiting: admitted
    wait_until_queued(queue, 16)
    gate.opened.set()
    for thread in threads:
        thread.join()
    assert results["s" * 8] == "S" * 8
