"""A client that retries before the Retry-After it was given is held until then, not refused
again at once (qa/api/middleware/retry_hold.py)."""

from __future__ import annotations

import asyncio
import time

from _apps import app_with
from fastapi.testclient import TestClient

from qa.api.metrics import EARLY_RETRIES_HELD
from qa.api.middleware.retry_hold import RetryHold, retry_after_seconds

SEARCH = "/v1/search"
QUERY = {"query": "carbon peak", "top_k": 1}
KEYS = {"mine": {"X-API-Key": "mine"}, "other": {"X-API-Key": "other"}}


class ManualClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def held_count() -> float:
    return EARLY_RETRIES_HELD._value.get()


def test_an_early_retry_waits_for_its_retry_after_and_is_then_served(settings, service):
    # One request a second: a refused client may ask again after one second.
    app = app_with(settings, service, rate_limit_per_minute=60, rate_limit_burst=1, api_keys=["mine", "other"])
    with TestClient(app) as client:
        assert client.post(SEARCH, json=QUERY, headers=KEYS["mine"]).status_code == 200
        refused = client.post(SEARCH, json=QUERY, headers=KEYS["mine"])
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        before = held_count()
        started = time.monotonic()
        retried = client.post(SEARCH, json=QUERY, headers=KEYS["mine"])
        assert retried.status_code == 200, "held until its bucket refilled, then served"
        assert time.monotonic() - started >= 0.5
        assert held_count() == before + 1
        # Another client was never refused: it is not held.
        assert client.post(SEARCH, json=QUERY, headers=KEYS["other"]).status_code == 200
        assert held_count() == before + 1


def test_a_client_ignoring_retry_after_is_answered_at_the_pace_it_was_given(settings, service):
    app = app_with(settings, service, rate_limit_per_minute=60, rate_limit_burst=1)
    with TestClient(app) as client:
        statuses = []
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:  # a tight loop, as a careless or hostile client sends
            statuses.append(client.get("/v1/documents").status_code)
    # Answered at once, this loop would get hundreds of 429s; held, it gets one 200 a second
    # (the refill) and one 429 after each (the next try, too early, then held).
    assert len(statuses) <= 10, statuses
    assert statuses.count(200) >= 2 and statuses.count(429) <= 5


def test_with_the_hold_off_an_early_retry_is_refused_at_once(settings, service):
    app = app_with(settings, service, rate_limit_per_minute=60, rate_limit_burst=1, early_retry_hold_seconds=0)
    with TestClient(app) as client:
        codes = [client.get("/v1/documents").status_code for _ in range(4)]
    assert codes == [200, 429, 429, 429]


def test_the_hold_is_capped_and_a_longer_refusal_stands():
    clock = ManualClock()
    hold = RetryHold(max_hold_seconds=5, clock=clock)
    assert hold.due_in("a") == 0
    hold.record("a", 30)
    assert hold.due_in("a") == 5  # never more than the cap at a time
    hold.record("a", 2)  # a shorter refusal does not cut the longer one short
    clock.now += 28
    assert hold.due_in("a") == 2
    clock.now += 2
    assert hold.due_in("a") == 0


def test_the_least_recently_refused_clients_are_forgotten():
    hold = RetryHold(max_hold_seconds=5, max_clients=2, clock=ManualClock())
    for client in ("a", "b", "c"):
        hold.record(client, 3)
    assert [hold.due_in(c) for c in ("a", "b", "c")] == [0, 3, 3]


def test_retry_after_is_read_in_seconds_only():
    assert retry_after_seconds({"headers": [(b"retry-after", b"7")]}) == 7
    assert retry_after_seconds({"headers": [(b"Retry-After", b"Wed, 21 Oct 2026 07:28:00 GMT")]}) is None
    assert retry_after_seconds({"headers": []}) is None


def test_a_held_clients_requests_go_one_at_a_time():
    """Many connections of a held client do not all go at the end of the wait: each waits for
    the previous one, whose answer may set a new time."""
    hold = RetryHold(max_hold_seconds=5)
    order: list[str] = []

    async def request(name: str, refuse: bool) -> None:
        async def send(message) -> None:
            order.append(f"{name} answered")

        async with hold.turn("client", send) as watched:
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            headers = [(b"retry-after", b"1")] if refuse else []
            await watched({"type": "http.response.start", "status": 503 if refuse else 200, "headers": headers})

    async def main() -> float:
        hold.record("client", 0.05)
        started = time.monotonic()
        await asyncio.gather(request("first", True), request("second", False), request("third", False))
        return time.monotonic() - started

    waited = asyncio.run(main())
    assert order == ["first in", "first answered", "second in", "second answered", "third in", "third answered"]
    assert waited >= 1.0, "the second waited for the Retry-After the first was given"
