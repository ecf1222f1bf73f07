"""/metrics in Prometheus format, request ids, and one JSON access-log line per request."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import string

import pytest
from _apps import app_with
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from qa.api.middleware.observe import ACCESS_LOGGER

SECRET = "s3cr3t-key-do-not-log"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_request_and_search_stage_metrics(client):
    before = scrape(client)
    for query in ("carbon peak", "碳达峰"):
        assert client.post("/v1/search", json={"query": query}).status_code == 200
    assert client.post("/v1/search", json={"query": ""}).status_code == 422
    after = scrape(client)
    ok = {"method": "POST", "route": "/v1/search", "status": "200"}
    assert value(after, "qa_http_requests_total", **ok) - value(before, "qa_http_requests_total", **ok) == 2
    bad = ok | {"status": "422"}
    assert value(after, "qa_http_requests_total", **bad) - value(before, "qa_http_requests_total", **bad) == 1
    timed = {"method": "POST", "route": "/v1/search", "status_class": "2xx"}
    assert value(after, "qa_http_request_duration_seconds_count", **timed) >= 2
    for stage in ("encode", "retrieve", "fuse"):
        grown = value(after, "qa_search_stage_seconds_count", stage=stage) - value(
            before, "qa_search_stage_seconds_count", stage=stage
        )
        assert grown == 2
        assert value(after, "qa_search_stage_seconds_sum", stage=stage) > 0


def test_index_model_and_build_info(client, service):
    samples = scrape(client)
    assert value(samples, "qa_index_passages") == len(service.store.passages)
    info = {
        "index_version": service.store.version,
        "model_id": service.encoder.model_id,
        "index_kind": service.store.manifest["index_kind"],
    }
    assert value(samples, "qa_index_info", **info) == 1
    assert any(name == "qa_build_info" for name, _ in samples)


def test_unknown_paths_share_one_route_label(client):
    client.get("/v1/no-such-thing-8d1f")
    text = client.get("/metrics").text
    assert "no-such-thing" not in text
    assert 'route="<unmatched>"' in text


def test_refused_requests_are_counted_under_their_route(client):
    before = scrape(client)
    client.post("/v1/search", content=b"q", headers={"content-type": "text/plain"})
    after = scrape(client)
    labels = {"method": "POST", "route": "/v1/search", "status": "415"}
    assert value(after, "qa_http_requests_total", **labels) - value(before, "qa_http_requests_total", **labels) == 1


def test_request_id_generated_echoed_or_replaced(client):
    generated = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz").headers["x-request-id"] != generated
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"}).headers["x-request-id"] == "lb-7f3a.42"
    for unsafe in ("has spaces in it", "x" * 200, '"quoted"'):
        echoed = client.get("/healthz", headers={"X-Request-ID": unsafe}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def access_lines():
    handler = Lines()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_one_json_line_per_request_without_the_key(settings, service, access_lines):
    with TestClient(app_with(settings, service, api_keys=[SECRET])) as client:
        ok = client.post("/v1/search", json={"query": "carbon"}, headers={"Authorization": f"Bearer {SECRET}"})
        wrong = client.post("/v1/search", json={"query": "carbon"}, headers={"X-API-Key": SECRET + "-typo"})
        assert (ok.status_code, wrong.status_code) == (200, 401)
    assert len(access_lines) == 2
    assert not any(SECRET in line for line in access_lines)
    first, second = (json.loads(line) for line in access_lines)
    assert first["request_id"] == ok.headers["x-request-id"]
    assert (first["method"], first["route"], first["status"]) == ("POST", "/v1/search", 200)
    assert first["client"].startswith("key:") and first["duration_ms"] > 0
    assert set(first["search_ms"]) == {"encode", "retrieve", "fuse"}
    assert second["status"] == 401 and second["client"].startswith("ip:")
    assert second["request_id"] == wrong.headers["x-request-id"]


def test_access_log_can_be_turned_off(settings, service, access_lines):
    with TestClient(app_with(settings, service, access_log=False)) as client:
        client.get("/healthz")
    assert access_lines == []


def test_a_flood_of_odd_methods_and_paths_adds_no_series(client, capsys):
    rng = random.Random(16)
    paths = ["/healthz", "/v1/search", "/metrics", "/no/such/{i}-{x}"]

    def odd_request(i: int, path: str) -> None:
        method = f"M{i:06d}" + "".join(rng.choices(string.ascii_uppercase, k=rng.choice([3, 300, 3000])))
        path = path.format(i=i, x="x" * rng.randint(0, 500))
        assert client.request(method, path).status_code in (404, 405)
        client.get(f"/v1/nothing-here-{i}")
        client.request("PROPFIND", f"/{i}")

    for path in paths:  # the first odd request of each kind may add its (bounded) series once
        odd_request(0, path)
    client.get("/metrics")
    before = client.get("/metrics").text
    for i in range(1, 400):
        odd_request(i, rng.choice(paths))
    after = client.get("/metrics").text

    def series(text: str) -> set:
        return {
            (s.name, tuple(sorted(s.labels.items())))
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    with capsys.disabled():
        print(
            f"\n/metrics: {len(before)} bytes, {len(series(before))} series before a flood of "
            f"1,191 odd requests; {len(after)} bytes, {len(series(after))} series after"
        )
    assert series(after) == series(before)
    assert abs(len(after) - len(before)) < 2000  # only the counts changed, not the lines
    assert "M000" not in after and "no/such" not in after and "PROPFIND" not in after
    assert 'method="other"' in after


def test_preflights_are_logged_with_a_request_id(settings, service, access_lines):
    with TestClient(app_with(settings, service, cors_origins=["https://partner.example"])) as client:
        response = client.options(
            "/v1/search",
            headers={
                "Origin": "https://partner.example",
                "Access-Control-Request-Method": "POST",
                "X-Request-ID": "preflight-1",
            },
        )
    assert response.status_code == 200 and response.headers["x-request-id"] == "preflight-1"
    line = json.loads(access_lines[-1])
    assert (line["method"], line["route"], line["status"], line["request_id"]) == (
        "OPTIONS",
        "/v1/search",
        200,
        "preflight-1",
    )


def test_a_client_leaving_mid_body_is_a_499_not_a_server_error(app, client):
    before = scrape(client)
    pieces = iter([{"type": "http.request", "body": b'{"query": "car', "more_body": True}, {"type": "http.disconnect"}])
    sent: list[dict] = []

    async def receive():
        return next(pieces)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/search",
        "raw_path": b"/v1/search",
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("203.0.113.9", 5000),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"content-length", b"200")],
    }
    asyncio.run(app(scope, receive, send))
    after = scrape(client)
    assert sent == []  # nobody is left to answer
    left = {"method": "POST", "route": "/v1/search", "status": "499"}
    assert value(after, "qa_http_requests_total", **left) - value(before, "qa_http_requests_total", **left) == 1
    server_errors = {"method": "POST", "route": "/v1/search", "status": "500"}
    assert value(after, "qa_http_requests_total", **server_errors) == value(
        before, "qa_http_requests_total", **server_errors
    )
