"""End to end on Milvus: `qa build` into the engine, two stateless `qa serve` replicas with empty
index folders answer exactly as the FAISS default, and keep answering through failures.

Everything runs as real processes: the engine from the milvus-lite wheel, `python -m qa.cli`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from qa.settings import PROJECT_ROOT, Settings
from tests.milvus_engine import milvus, two_document_corpus  # noqa: F401

# isort: split

from qa.store.milvus.engine import free_port  # noqa: E402  (after the skip in tests.milvus_engine)

QUESTIONS = [
    ("碳达峰碳中和为什么是必由之路？", None),
    ("Why is carbon neutrality the only way forward?", None),
    ("What policy system did China build for peak carbon?", "zh"),
    ("1+N政策体系", "en"),
]


def qa_env(**values) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return (
        env
        | {"QA_THREADS": "1", "OMP_NUM_THREADS": "1", "QA_RELOAD_POLL_SECONDS": "0", "QA_ACCESS_LOG": "false"}
        | {f"QA_{k.upper()}": str(v) for k, v in values.items()}
    )


def qa(*args: str, env: dict, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qa.cli", *args], env=env, cwd=PROJECT_ROOT, **popen)


class Replica:
    def __init__(self, env: dict, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")
        self.process = qa("serve", "--port", str(self.port), env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, Path(self.log.name).read_text()[-3000:]
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"replica not ready: {Path(self.log.name).read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def answers(post, question: str, lang: str | None) -> tuple:
    """What a user sees: ranked passages with scores, and the extracted answer."""
    search = post("/v1/search", json={"query": question, "top_k": 5, "lang": lang}).json()
    ask = post("/v1/ask", json={"question": question, "lang": lang}).json()
    return (
        [(r["passage_id"], round(r["score"], 3)) for r in search["results"]],
        ask["answerable"],
        ask["answer"],
        [c["passage_id"] for c in ask["citations"]],
    )


@pytest.fixture(scope="module")
def built(milvus, tmp_path_factory):  # noqa: F811
    """The same corpus built twice: into Milvus, and into a FAISS folder (embeddings cached)."""
    root = tmp_path_factory.mktemp("e2e")
    corpus = two_document_corpus(root / "corpus")
    builder = dict(corpus_dir=corpus, index_dir=root / "builder", milvus_uri=milvus.uri, milvus_collection="e2e")
    for store in ("milvus", "faiss"):
        done = qa(
            "build",
            env=qa_env(vector_store=store, **builder),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = done.communicate(timeout=600)[0]
        assert done.returncode == 0, output
    return root, corpus


@pytest.fixture(scope="module")
def faiss_client(built, encoder):
    from qa.api.app import create_app
    from qa.service import ServiceHolder, open_service

    root, corpus = built
    settings = Settings(corpus_dir=corpus, index_dir=root / "builder", auto_build=False)
    holder = ServiceHolder(settings)
    holder.service = open_service(settings, progress=False, encoder=encoder)
    holder.ready.set()
    with TestClient(create_app(settings, holder)) as client:
        yield client


def test_stateless_replicas_answer_as_faiss_and_survive_failures(milvus, built, faiss_client):  # noqa: F811
    root, corpus = built
    replicas = []
    try:
        for i, corpus_dir in enumerate([corpus, root / "no-corpus-here"]):
            index_dir = root / f"replica{i}"
            index_dir.mkdir()
            replicas.append(
                Replica(
                    qa_env(
                        vector_store="milvus",
                        milvus_uri=milvus.uri,
                        milvus_collection="e2e",
                        milvus_timeout_seconds=2,
                        index_dir=index_dir,
                        corpus_dir=corpus_dir,
                        auto_build="false",
                        # The state (keys, question log) lives in a database outside the replicas,
                        # as PostgreSQL would hold it in production.
                        database_url=f"sqlite:///{root / 'shared-state.db'}",
                    ),
                    root / f"replica{i}.log",
                )
            )
        for replica in replicas:
            replica.wait_ready()
        clients = [httpx.Client(base_url=r.url, timeout=30) for r in replicas]
        for question, lang in QUESTIONS:
            expected = answers(faiss_client.post, question, lang)
            assert expected[0], "the reference finds passages"
            for client in clients:
                assert answers(client.post, question, lang) == expected
        assert not [p for i in range(2) for p in (root / f"replica{i}").iterdir()], "replicas hold no files"

        replicas[0].stop()  # one replica dies: the other keeps serving
        assert clients[1].post("/v1/search", json={"query": QUESTIONS[0][0]}).status_code == 200

        milvus.stop()  # the store goes away: a fast 503 that says so, not a 500 or a hang
        down = clients[1].post("/v1/search", json={"query": QUESTIONS[1][0]})
        assert down.status_code == 503 and down.headers["Retry-After"]
        assert down.json()["error"]["code"] == "store_unavailable"
        assert milvus.uri in down.json()["error"]["message"]
        milvus.start()  # back: the same replica serves again without a restart
        assert answers(clients[1].post, *QUESTIONS[1]) == answers(faiss_client.post, *QUESTIONS[1])
    finally:
        for replica in replicas:
            replica.stop()


def test_a_build_killed_midway_leaves_the_live_version(milvus, built):  # noqa: F811
    from qa.store.milvus.client import MilvusConnection
    from qa.store.milvus.load import open_milvus_store

    root, corpus = built
    settings = Settings(vector_store="milvus", milvus_uri=milvus.uri, milvus_collection="e2e")
    live = open_milvus_store(settings).version
    client = MilvusConnection(milvus.uri).client()
    before = set(client.list_collections())
    build = qa(
        "build",
        env=qa_env(
            vector_store="milvus",
            corpus_dir=corpus,
            index_dir=root / "builder",
            milvus_uri=milvus.uri,
            milvus_collection="e2e",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not set(client.list_collections()) - before:  # the new version's first collection
            assert build.poll() is None, "the build finished before it could be killed"
            time.sleep(0.05)
        build.send_signal(signal.SIGKILL)
    finally:
        build.wait()
    assert open_milvus_store(settings).version == live, "the alias (CURRENT) stayed on the old version"


def test_milvus_unreachable_at_start_makes_readyz_name_the_uri(tmp_path, monkeypatch, encoder):
    from qa.api.app import create_app
    from qa.service import ServiceHolder

    monkeypatch.setattr("qa.service.load_encoder", lambda *args: encoder)  # the model is not the point
    uri = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        vector_store="milvus",
        milvus_uri=uri,
        milvus_timeout_seconds=1,
        auto_build=False,
        index_dir=tmp_path,
        reload_poll_seconds=0,
    )
    holder = ServiceHolder(settings)
    with TestClient(create_app(settings, holder)) as client:
        holder.loader.join(60)
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "index_unavailable"
    assert uri in ready.json()["error"]["message"]
