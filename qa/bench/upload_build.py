"""A steady client's search while the server builds the largest document an upload may carry.

An admin uploads one text document at the size limits (QA_MAX_DOCUMENT_CHARS, within
QA_MAX_DOCUMENT_UNITS paragraphs) of new paragraphs made from the corpus's own sentences, so
the build embeds text like the rest and for a long time; the steady client's search is timed
quiet, then while the build embeds. Bounded: the build is stopped (with its server) after
`seconds`; what it embedded meanwhile is reported as its speed.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from qa.bench.contention import summary
from qa.bench.http import Server, search_bodies, service_env
from qa.settings import Settings

ADMIN_KEY = "bench-admin"
PARAGRAPH_CHARS = 400
EMBED_WAIT_S = 300.0  # longest wait for the job to start embedding (reading 3 MB of text first)


def largest_document(corpus_dir: Path, settings: Settings, max_chars: int | None = None, seed: int = 7) -> str:
    """Text of about QA_MAX_DOCUMENT_CHARS (or `max_chars`) characters in paragraphs of
    ~PARAGRAPH_CHARS, at most QA_MAX_DOCUMENT_UNITS of them, from the corpus's sentences in a
    shuffled order."""
    limit = min(max_chars or settings.max_document_chars, settings.max_document_chars)
    sentences = [
        s.strip()
        for path in sorted(corpus_dir.rglob("*"))
        if path.is_file() and path.suffix in (".txt", ".md")
        for line in path.read_text(encoding="utf-8").splitlines()
        for s in line.replace("。", "。\n").replace(". ", ".\n").splitlines()
        if len(s.strip()) > 20
    ]
    if not sentences:
        raise ValueError(f"no sentences in {corpus_dir}")
    rng = random.Random(seed)
    paragraph_chars = max(PARAGRAPH_CHARS, limit // settings.max_document_units + 1)
    paragraphs, total = [], 0
    while len(paragraphs) < settings.max_document_units:
        words: list[str] = []
        while sum(map(len, words)) < paragraph_chars:
            words.append(rng.choice(sentences))
        paragraph = " ".join(words)
        if total + len(paragraph) + 2 > limit:
            break
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return "\n\n".join(paragraphs) + "\n"


def run_upload_build_leg(
    index_dir: Path,
    corpus_dir: Path,
    model: str,
    queries: Sequence[str],
    workdir: Path,
    seconds: float = 60.0,
    max_chars: int | None = None,
    log: Path | None = None,
) -> dict:
    served, corpus = workdir / "upload-build-index", workdir / "upload-build-corpus"
    shutil.copytree(index_dir, served)
    shutil.copytree(corpus_dir, corpus)
    document = largest_document(corpus_dir, Settings(), max_chars)
    env = service_env(served, corpus, model, QA_ADMIN_KEYS=ADMIN_KEY)
    bodies = search_bodies(queries)
    out: dict = {"document_chars": len(document), "paragraphs": document.count("\n\n") + 1}
    with (
        Server("qa.api.app:create_app", factory=True, env=env, log=log) as server,
        httpx.Client(base_url=server.url, timeout=120.0) as client,
    ):
        server.wait_ready("/readyz")
        times: list[float] = []

        def timed(body: dict) -> None:
            begun = time.perf_counter()
            client.post("/v1/search", json=body).raise_for_status()
            times.append(time.perf_counter() - begun)

        for body in bodies[:3]:
            timed(body)
        times.clear()
        for body in bodies:
            timed(body)
        out["quiet"] = summary(times)
        admin = {"X-API-Key": ADMIN_KEY}
        accepted = client.post(
            "/v1/documents", headers=admin, files={"file": ("largest.txt", document.encode(), "text/plain")}
        )
        accepted.raise_for_status()
        job_url = f"/v1/jobs/{accepted.json()['job_id']}"
        deadline = time.perf_counter() + EMBED_WAIT_S
        while (job := client.get(job_url, headers=admin).json())["texts_embedded"] == 0:
            if job["status"] in ("failed", "cancelled", "done") or time.perf_counter() > deadline:
                raise RuntimeError(f"the upload's build did not start embedding: {job}")
            time.sleep(0.2)
        first, began = job["texts_embedded"], time.perf_counter()
        times.clear()
        while time.perf_counter() - began < seconds:
            timed(bodies[len(times) % len(bodies)])
        job = client.get(job_url, headers=admin).json()
        out["texts_expected"] = job["texts_expected"]
        out["build_texts_per_s"] = round((job["texts_embedded"] - first) / (time.perf_counter() - began), 2)
        out["during_build"] = summary(times)
        out["p50_x_quiet"] = round(out["during_build"]["p50_ms"] / out["quiet"]["p50_ms"], 2)
        out["p95_x_quiet"] = round(out["during_build"]["p95_ms"] / out["quiet"]["p95_ms"], 2)
    return out
