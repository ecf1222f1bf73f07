"""Server memory while clients without a key push the largest allowed uploads at it.

A refused upload must be refused before its body is read: the server's resident memory
should barely move however many such bodies arrive, and a steady searcher stays served.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from qa.bench.contention import summary
from qa.bench.http import Server, search_bodies, service_env

CHUNK = 1024 * 1024
BOUNDARY = "qa-bench-upload-flood"


def multipart_body(file_bytes: int, files: int = 2) -> Iterator[bytes]:
    """A multipart/form-data body of `files` parts of `file_bytes` each, generated as it is sent
    (the flood must not cost the sender the memory it tries to cost the server)."""
    for number in range(files):
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="flood-{number}.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        sent = 0
        while sent < file_bytes:
            size = min(CHUNK, file_bytes - sent)
            yield b"a" * size
            sent += size
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def _upload(client: httpx.Client, file_bytes: int) -> int:
    try:
        response = client.post(
            "/v1/documents",
            content=multipart_body(file_bytes),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        return response.status_code
    except httpx.TransportError:
        return 0  # the server closed the connection on a refused body: also a refusal


def run_upload_flood_leg(
    index_dir: Path,
    corpus_dir: Path,
    model: str,
    queries: Sequence[str],
    clients: int = 4,
    rounds: int = 2,
    file_bytes: int = 50 * 1024 * 1024,
    log: Path | None = None,
) -> dict:
    """`clients` senders without a key, each posting `rounds` uploads of two `file_bytes` files
    at once, while a steady client searches; the server's RSS before, during and after."""
    env = service_env(index_dir, corpus_dir, model, QA_ADMIN_KEYS="bench-admin")
    bodies = search_bodies(queries)
    out: dict = {"clients": clients, "rounds": rounds, "file_mb": file_bytes // CHUNK}
    with Server("qa.api.app:create_app", factory=True, env=env, log=log) as server:
        server.wait_ready("/readyz")
        steady = httpx.Client(base_url=server.url, timeout=60.0)
        for body in bodies[:3]:
            steady.post("/v1/search", json=body)
        out["memory_before"] = server.memory()
        statuses: Counter = Counter()
        peak = [out["memory_before"]["rss_mb"]]

        def sender() -> None:
            with httpx.Client(base_url=server.url, timeout=120.0) as client:
                for _ in range(rounds):
                    statuses[_upload(client, file_bytes)] += 1

        threads = [threading.Thread(target=sender, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        seconds: list[float] = []
        steady_statuses: Counter = Counter()
        while any(thread.is_alive() for thread in threads):
            body = bodies[len(seconds) % len(bodies)]
            begun = time.perf_counter()
            steady_statuses[steady.post("/v1/search", json=body).status_code] += 1
            seconds.append(time.perf_counter() - begun)
            peak.append(server.memory()["rss_mb"])
        for thread in threads:
            thread.join(130)
        steady.close()
        out["memory_after"] = server.memory()
        out["rss_peak_during_mb"] = max(peak)
        out["rss_growth_mb"] = round(max(peak) - out["memory_before"]["rss_mb"], 1)
        out["upload_statuses"] = {str(k): v for k, v in statuses.items()}
        out["steady"] = summary(seconds) if seconds else None
        out["steady_statuses"] = dict(steady_statuses)
    return out
