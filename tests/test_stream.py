"""POST /v1/ask with `Accept: text/event-stream`: passages, answer, done (or error), heartbeats;
the JSON answer is unchanged."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from _apps import app_with
from _sse import STREAM, events
from fastapi.testclient import TestClient

from qa.embed.batching import QueueFull


def streamed(client: TestClient, body: dict) -> list[tuple[str, object]]:
    with client.stream("POST", "/v1/ask", json=body, headers=STREAM) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return events(response)


@pytest.mark.parametrize(
    "body",
    [
        {"question": "全国碳市场覆盖了全国多少碳排放量？"},
        {"question": "目前纳入了哪些行业？", "history": ["全国碳排放权交易市场是哪一年启动的？"], "top_k": 3},
        {"question": "What is the boiling point of mercury?"},
    ],
)
def test_passages_come_first_then_the_same_answer_as_json(client, body):
    got = [(name, data) for name, data in streamed(client, body) if name != "comment"]
    assert [name for name, _ in got] == ["passages", "answer", "done"]
    passages, answer = got[0][1]["passages"], got[1][1]
    plain = client.post("/v1/ask", json=body).json()
    assert answer["answer_id"] and plain["answer_id"] and answer["answer_id"] != plain["answer_id"]  # one per answer
    for data in (answer, plain):
        data.pop("took_ms")
        data.pop("answer_id")
    assert answer == plain, "the streamed answer is the JSON answer"
    assert passages == answer["citations"], "the passages are the ones the answer cites"
    assert got[2][1]["took_ms"] >= 0


class SlowEngine:
    """The real engine, searching slowly: the stream has to keep the connection alive."""

    def __init__(self, engine, seconds: float) -> None:
        self.engine, self.seconds = engine, seconds

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def search(self, *args, **kwargs):
        time.sleep(self.seconds)
        return self.engine.search(*args, **kwargs)


class BusyEngine(SlowEngine):
    def search(self, *args, **kwargs):
        raise QueueFull(cost=10, pending=2048, limit=2048, retry_after=1.5)


def test_heartbeats_keep_a_slow_stream_alive(settings, service):
    slow = replace(service, engine=SlowEngine(service.engine, 0.5))
    with TestClient(app_with(settings, slow, stream_heartbeat_seconds=0.05)) as client:
        got = streamed(client, {"question": "碳达峰"})
    names = [name for name, _ in got]
    assert ("comment", "heartbeat") in got and names.index("comment") < names.index("passages")
    assert [n for n in names if n != "comment"] == ["passages", "answer", "done"]


def test_a_failure_after_the_stream_started_is_an_error_event(settings, service):
    busy = replace(service, engine=BusyEngine(service.engine, 0))
    with TestClient(app_with(settings, busy)) as client:
        got = streamed(client, {"question": "碳达峰"})
        assert client.post("/v1/ask", json={"question": "碳达峰"}).status_code == 503  # JSON: as before
    assert [name for name, _ in got] == ["error"]
    assert got[0][1]["error"]["code"] == "overloaded"


def test_bad_input_is_refused_before_any_stream(client):
    response = client.post("/v1/ask", json={"question": "  "}, headers=STREAM)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
