"""Attackers for the load test's abuse leg, run in their own process: their CPU time and GIL
are not the measuring client's, so what the steady client sees is the server's doing."""

from __future__ import annotations

import threading
from collections import Counter

import httpx


def attack(
    base: str, body: dict, headers: dict, clients: int, max_requests: int, pause: float, ready, stop, results
) -> None:
    """`clients` threads, each its own address behind the trusted local proxy, POST `body` to
    /v1/search back to back until `stop` is set or each has sent `max_requests`; a refused one
    waits only `pause` (no Retry-After). Puts the count of each status on `results`."""
    counts: Counter = Counter()
    lock = threading.Lock()

    def one(i: int) -> None:
        with httpx.Client(base_url=base, timeout=120, headers=headers | {"X-Forwarded-For": f"203.0.113.{i + 1}"}) as c:
            for _ in range(max_requests):
                if stop.is_set():
                    return
                try:
                    status = c.post("/v1/search", json=body).status_code
                except httpx.TransportError:
                    status = 0
                with lock:
                    counts[status] += 1
                if status != 200:
                    stop.wait(pause)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()
    results.put(dict(counts))
