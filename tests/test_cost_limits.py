"""Limits in the unit that costs: encoder tokens per query and per client, and a bounded queue."""

from __future__ import annotations

import copy
import dataclasses
import threading

import numpy as np
import pytest
from _apps import app_with
from _queries import chinese_of
from fastapi.testclient import TestClient

from qa.embed.batching import ENCODER_CLIENT, BatchingEncoder
from qa.embed.tokens import token_counter, truncate_to_tokens

SEARCH = "/v1/search"


@pytest.fixture(scope="module")
def count(service):
    return token_counter(service.encoder)


def test_the_encoder_reads_a_long_query_only_up_to_the_token_cap(service, settings, count):
    cap = settings.max_query_tokens
    batcher = service.engine.encoder
    long_query = chinese_of(10_000, count)  # the whole Chinese text, well over the cap
    assert count(long_query) > cap
    first_part = truncate_to_tokens(long_query, cap, count)
    assert count(first_part) <= cap < count(long_query[: len(first_part) + 1])
    vector = batcher.encode_queries([long_query])[0]
    assert np.allclose(vector, service.encoder.encode_queries([first_part])[0], atol=1e-4)


def test_a_1000_character_chinese_query_is_answered(client, count):
    query = (chinese_of(10_000, count) * 2)[:1000]
    response = client.post(SEARCH, json={"query": query, "top_k": 3})
    assert response.status_code == 200 and response.json()["query"] == query


def test_each_client_spends_its_own_token_budget(settings, service, count):
    query = chinese_of(100, count)
    app = app_with(
        settings, service, token_limit_per_minute=60, token_limit_burst=300, api_keys=["spender", "bystander"]
    )
    with TestClient(app) as client:
        spender, bystander = {"X-API-Key": "spender"}, {"X-API-Key": "bystander"}
        codes = [client.post(SEARCH, json={"query": query}, headers=spender).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]  # 3 × ~100 tokens fit in 300
        refused = client.post(SEARCH, json={"query": query}, headers=spender)
        assert refused.json()["error"]["code"] == "token_budget_exceeded"
        assert int(refused.headers["retry-after"]) >= 1
        assert client.post(SEARCH, json={"query": query}, headers=bystander).status_code == 200
        # Requests that encode nothing cost no tokens.
        assert client.get("/v1/documents", headers=spender).status_code == 200
    with TestClient(app_with(settings, service, token_limit_per_minute=60, token_limit_burst=300)) as client:
        # A query over the cap costs the cap: the encoder reads no more of it.
        long_query = chinese_of(10_000, count)
        assert [client.post(SEARCH, json={"query": long_query}).status_code for _ in range(2)] == [200, 429]


class HeldEncoder:
    """The real encoder, held at the door until the test lets it run."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.entered, self.opened = threading.Event(), threading.Event()

    def encode_queries(self, texts):
        self.entered.set()
        assert self.opened.wait(60)
        return self.encoder.encode_queries(texts)


def test_a_full_encoder_queue_answers_503_at_once_with_retry_after(settings, service, count):
    held = HeldEncoder(service.encoder)
    queue = BatchingEncoder(held, max_pending_cost=300, cost=count)
    engine = copy.copy(service.engine)
    engine.encoder = queue
    busy = dataclasses.replace(service, engine=engine)
    with TestClient(app_with(settings, busy)) as client:

        def fill_as_this_client() -> None:
            ENCODER_CLIENT.set("ip:testclient")  # what the API names TestClient's requests
            queue.encode_queries([chinese_of(250, count)])

        running = threading.Thread(target=fill_as_this_client)
        running.start()
        assert held.entered.wait(60)  # ~250 tokens of this client's in the encoder
        response = client.post(SEARCH, json={"query": chinese_of(100, count)})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "overloaded"
        assert int(response.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200
        assert "qa_overloaded_total" in client.get("/metrics").text
        held.opened.set()
        running.join()
        assert client.post(SEARCH, json={"query": chinese_of(100, count)}).status_code == 200


def test_a_full_queue_still_admits_a_client_with_nothing_waiting(settings, service, count):
    held = HeldEncoder(service.encoder)
    queue = BatchingEncoder(held, max_pending_cost=300, cost=count)
    engine = copy.copy(service.engine)
    engine.encoder = queue
    busy = dataclasses.replace(service, engine=engine)
    with TestClient(app_with(settings, busy, api_keys=["flood", "steady"])) as client:

        def flood() -> None:
            ENCODER_CLIENT.set("a flooding client")
            queue.encode_queries([chinese_of(250, count)])

        running = threading.Thread(target=flood)
        running.start()
        assert held.entered.wait(60)
        answers: list = []
        steady = threading.Thread(
            target=lambda: answers.append(
                client.post(SEARCH, json={"query": chinese_of(100, count)}, headers={"X-API-Key": "steady"})
            )
        )
        steady.start()
        for _ in range(3000):  # admitted: its tokens join the queue instead of a 503
            if queue.queue.pending_cost > 250 or answers:
                break
            threading.Event().wait(0.01)
        held.opened.set()
        running.join()
        steady.join()
        assert answers[0].status_code == 200


def test_history_is_charged_like_the_question(settings, service, count):
    history = [chinese_of(300, count) for _ in range(5)]
    app = app_with(settings, service, token_limit_per_minute=60, token_limit_burst=300)
    with TestClient(app) as client:
        codes = [client.post("/v1/ask", json={"question": "它呢？", "history": history}).status_code for _ in range(2)]
        # 5 × 256 (each earlier question is encoded, up to the cap) + the question: one fits.
        assert codes == [200, 429]
        refused = client.post("/v1/ask", json={"question": "它呢？", "history": history})
        assert refused.json()["error"]["code"] == "token_budget_exceeded"
