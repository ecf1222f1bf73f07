"""A steady client's search while other clients flood the encoder with maximum-cost requests.

The floods are closed loops that ignore Retry-After, as a careless or hostile client sends.
The steady client's quiet latency is its floor; the run alternates quiet and flood windows so
that a machine whose speed drifts (other tenants, other jobs) weighs on both alike.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx

from qa.bench.contention import SETTLE_S, summary
from qa.bench.http import Server, search_bodies, service_env

FLOOD_KINDS = ("long-query", "history")
FLOOD_TEXT_CHARS = 1000  # the longest query the contract allows
ROUNDS = 4  # quiet and flood windows, alternating
IDLE_TIMEOUT_S = 30.0  # longest wait for the paused flood's last requests to be answered


def flood_body(kind: str, queries: Sequence[str]) -> tuple[str, dict]:
    """A maximum-cost request: a 1,000-character search, or a short question with five
    1,000-character earlier questions."""
    long_text = ("".join(queries) * (FLOOD_TEXT_CHARS // max(1, len("".join(queries))) + 1))[:FLOOD_TEXT_CHARS]
    if kind == "long-query":
        return "/v1/search", {"query": long_text}
    if kind == "history":
        return "/v1/ask", {"question": "它呢？", "history": [long_text] * 5}
    raise ValueError(f"unknown flood {kind!r}; known: {FLOOD_KINDS}")


class Flood:
    """`keys` clients sending `body` to `path` back to back while `on` is set; bounded in
    requests. `pause` waits until none of them has a request in flight."""

    def __init__(self, url: str, path: str, body: dict, keys: Sequence[str], max_requests: int) -> None:
        self.url, self.path, self.body = url, path, body
        self.max_requests = max_requests
        self.on, self.stop = threading.Event(), threading.Event()
        self.statuses: Counter = Counter()
        self.sent = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(key,), daemon=True) for key in keys]

    def __enter__(self) -> Flood:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.on.set()  # wake the paused ones so they see `stop`
        for thread in self.threads:
            thread.join(130)

    def _run(self, key: str) -> None:
        with httpx.Client(base_url=self.url, timeout=120.0, headers={"X-API-Key": key}) as client:
            while True:
                self.on.wait()
                with self._lock:  # `pause` sees every request that passes here
                    if self.stop.is_set() or self.sent >= self.max_requests:
                        return
                    if not self.on.is_set():
                        continue
                    self.sent += 1
                    self._in_flight += 1
                try:
                    status = client.post(self.path, json=self.body).status_code
                finally:
                    with self._lock:
                        self._in_flight -= 1
                self.statuses[status] += 1

    def pause(self) -> None:
        self.on.clear()
        deadline = time.perf_counter() + IDLE_TIMEOUT_S
        while self._in_flight and time.perf_counter() < deadline:
            time.sleep(0.01)

    def exhausted(self) -> bool:
        return self.sent >= self.max_requests


def run_flood_leg(
    index_dir: Path,
    corpus_dir: Path,
    model: str,
    queries: Sequence[str],
    kind: str,
    clients: int = 8,
    max_seconds: float = 20.0,
    max_requests: int = 4000,
    log: Path | None = None,
) -> dict:
    """A steady client's /v1/search (one short query at a time, its own API key) in quiet
    windows and while `clients` other keys send `kind` floods back to back, on the default
    settings, alternating ROUNDS times. Bounded: `max_seconds` of flood in all, at most
    `max_requests` flood requests. Reports the steady client's latency quiet and under the
    flood, its statuses (a 503 is a failure of fairness), the flood's statuses and the server's
    memory."""
    keys = ["steady"] + [f"flood-{n}" for n in range(clients)]
    env = service_env(index_dir, corpus_dir, model, QA_API_KEYS=",".join(keys))
    bodies = search_bodies(queries)
    path, flood_request = flood_body(kind, queries)
    out: dict = {"kind": kind, "clients": clients, "rounds": ROUNDS}
    quiet: list[float] = []
    busy: list[float] = []
    statuses: dict[str, Counter] = {"quiet": Counter(), "flood": Counter()}
    with (
        Server("qa.api.app:create_app", factory=True, env=env, log=log) as server,
        httpx.Client(base_url=server.url, timeout=60.0, headers={"X-API-Key": "steady"}) as steady,
    ):
        server.wait_ready("/readyz")

        def timed(body: dict, phase: str) -> float:
            begun = time.perf_counter()
            statuses[phase][steady.post("/v1/search", json=body).status_code] += 1
            return time.perf_counter() - begun

        for body in bodies[:3]:
            timed(body, "quiet")
        statuses["quiet"].clear()
        per_round = max(1, len(bodies) // ROUNDS)
        with Flood(server.url, path, flood_request, keys[1:], max_requests) as flood:
            for round_ in range(ROUNDS):
                quiet += [timed(body, "quiet") for body in bodies[round_ * per_round : (round_ + 1) * per_round]]
                flood.on.set()
                time.sleep(SETTLE_S)
                deadline = time.perf_counter() + max_seconds / ROUNDS
                while time.perf_counter() < deadline and not flood.exhausted():
                    busy.append(timed(bodies[len(busy) % len(bodies)], "flood"))
                out["memory"] = server.memory()
                flood.pause()
            out["flood_statuses"] = dict(flood.statuses)
    out["quiet"] = summary(quiet)
    out["quiet_statuses"] = dict(statuses["quiet"])
    out["under_flood"] = summary(busy) if busy else None
    out["under_flood_statuses"] = dict(statuses["flood"])
    if busy:
        out["p50_x_quiet"] = round(out["under_flood"]["p50_ms"] / out["quiet"]["p50_ms"], 2)
        out["p95_x_quiet"] = round(out["under_flood"]["p95_ms"] / out["quiet"]["p95_ms"], 2)
    return out
