"""Uploads and deletes over HTTP into a collection other than `default`: the job works in that
collection's corpus folder and rebuilds its index only; a crash mid-job is rolled back there."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api.job_recovery import recover
from qa.api.jobs import JobProgress, JobQueue
from qa.settings import Settings
from qa.state import StateStore
from qa.state.db import utcnow
from qa.state.jobs import JobRow, add_job, jobs_with_status
from qa.store.collections import collection_settings
from tests._two_sites import SITES, copy_article, one_article_app

ADMIN = {"Authorization": "Bearer adm-secret"}
COLLECTION = "site-b"
UPLOAD = (
    "青霉素是亚历山大·弗莱明在1928年发现的第一种抗生素。\n"
    "Penicillin was the first antibiotic, discovered by Alexander Fleming in 1928.\n"
).encode()


@pytest.fixture(scope="module")
def server(settings: Settings, encoder, tmp_path_factory) -> Iterator[tuple[TestClient, Settings]]:
    """`default` holds one article, the collection site-b another (built on first use)."""
    root = tmp_path_factory.mktemp("collection-uploads")
    mine, app = one_article_app(settings, encoder, root, "adm-secret")
    with TestClient(app) as client:
        created = client.post("/v1/collections", headers=ADMIN, json={"name": COLLECTION, "title": "B"})
        assert created.status_code == 201, created.text
        copy_article(SITES[COLLECTION], collection_settings(mine, COLLECTION).corpus_dir)
        yield client, mine


def versions(client: TestClient) -> dict[str, str | None]:
    listed = client.get("/v1/collections", headers=ADMIN).json()["collections"]
    return {c["name"]: c["index_version"] for c in listed}


def found_docs(client: TestClient, collection: str) -> set[str]:
    body = {"query": "Who discovered penicillin?", "top_k": 10, "collection": collection}
    found = client.post("/v1/search", headers=ADMIN, json=body)
    assert found.status_code == 200, found.text
    return {hit["doc_id"] for hit in found.json()["results"]}


def finished(client: TestClient, accepted) -> dict:
    assert accepted.status_code == 202, accepted.text
    assert client.app.state.document_jobs.wait_idle(300)
    return client.get(f"/v1/jobs/{accepted.json()['job_id']}", headers=ADMIN).json()


def test_an_upload_and_a_delete_change_only_their_collection(server):
    client, settings = server
    assert found_docs(client, COLLECTION) == {SITES[COLLECTION]}  # site-b built, before the upload
    before = versions(client)
    default_files = sorted(p.name for p in settings.corpus_dir.iterdir())

    upload = {"file": ("penicillin.txt", UPLOAD, "text/plain")}
    added = finished(client, client.post("/v1/documents", headers=ADMIN, files=upload, data={"collection": COLLECTION}))
    assert (added["status"], added["collection"]) == ("done", COLLECTION), added
    assert "penicillin" in found_docs(client, COLLECTION)
    assert "penicillin" not in found_docs(client, "default")
    detail = client.get("/v1/documents/penicillin", headers=ADMIN, params={"collection": COLLECTION})
    assert detail.status_code == 200 and detail.json()["indexed"], detail.text
    assert client.get("/v1/documents/penicillin", headers=ADMIN).status_code == 404
    after_upload = versions(client)
    assert after_upload["default"] == before["default"]
    assert after_upload[COLLECTION] not in (None, before[COLLECTION])

    assert client.delete("/v1/documents/penicillin", headers=ADMIN).status_code == 404  # not in default
    deleted = finished(
        client, client.delete("/v1/documents/penicillin", headers=ADMIN, params={"collection": COLLECTION})
    )
    assert (deleted["status"], deleted["collection"]) == ("done", COLLECTION), deleted
    assert "penicillin" not in found_docs(client, COLLECTION)
    gone = client.get("/v1/documents/penicillin", headers=ADMIN, params={"collection": COLLECTION})
    assert gone.status_code == 404
    assert versions(client)["default"] == before["default"]
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == default_files


def test_an_unknown_collection_is_404_and_another_keys_collection_403(server):
    client, _ = server
    upload = {"file": ("note.txt", UPLOAD, "text/plain")}
    missing = client.post("/v1/documents", headers=ADMIN, files=upload, data={"collection": "nowhere"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "collection_not_found"
    deleting = client.delete("/v1/documents/any", headers=ADMIN, params={"collection": "nowhere"})
    assert deleting.status_code == 404 and deleting.json()["error"]["code"] == "collection_not_found"
    for outside in ("..", "../index", "collections/x"):  # never a folder outside the collections
        posted = client.post("/v1/documents", headers=ADMIN, files=upload, data={"collection": outside})
        deleting = client.delete("/v1/documents/any", headers=ADMIN, params={"collection": outside})
        assert (posted.status_code, deleting.status_code) == (422, 422), (posted.text, deleting.text)
    made = client.post(
        "/v1/admin/keys",
        headers=ADMIN,
        json={"name": "default only", "scopes": ["documents:read", "documents:write"], "collections": ["default"]},
    )
    assert made.status_code == 201, made.text
    key = {"X-API-Key": made.json()["key"]}
    refused = client.post("/v1/documents", headers=key, files=upload, data={"collection": COLLECTION})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "collection_forbidden"
    refused = client.delete(f"/v1/documents/{SITES[COLLECTION]}", headers=key, params={"collection": COLLECTION})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "collection_forbidden"


def test_a_store_without_collections_refuses_before_writing_anything(server, monkeypatch):
    client, settings = server
    monkeypatch.setattr(client.app.state, "settings", settings.model_copy(update={"vector_store": "milvus"}))
    upload = {"file": ("note.txt", UPLOAD, "text/plain")}
    refused = client.post("/v1/documents", headers=ADMIN, files=upload, data={"collection": COLLECTION})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "collection_store_unsupported"
    refused = client.delete(f"/v1/documents/{SITES[COLLECTION]}", headers=ADMIN, params={"collection": COLLECTION})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "collection_store_unsupported"
    corpus = collection_settings(settings, COLLECTION).corpus_dir
    assert sorted(p.name for p in corpus.iterdir()) == [f"{SITES[COLLECTION]}.{lang}.txt" for lang in ("en", "zh")]


def interrupted_job_in_b(tmp_path: Path) -> tuple[dict[str, Path], StateStore]:
    """Corpus folders of `default` and `b`, each with kept.txt; a dead worker's job in b had
    replaced b's kept.txt (its upload staged, the old file backed up); a stray backup in b."""
    folders = {"default": tmp_path / "corpus", "b": tmp_path / "collections" / "b" / "corpus"}
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    other = folders["b"]
    staging, backup = other / ".qa-upload-x", other / ".qa-backup-x"
    staging.mkdir()
    backup.mkdir()
    (staging / "kept.txt").write_text("新的。\n", encoding="utf-8")
    (backup / "kept.txt").write_text("旧的。\n", encoding="utf-8")
    (other / "kept.txt").write_text("新的。\n", encoding="utf-8")
    (other / ".qa-backup-stray").mkdir()
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    with state.session() as session:
        add_job(
            session,
            JobRow(
                job_id=uuid.uuid4().hex,
                doc_id="kept",
                kind="add",
                collection="b",
                status="running",
                progress=0.5,
                created=utcnow(),
                started=utcnow(),
                staged=[str(staging / "kept.txt")],
                remove=[],
                staging_dir=str(staging),
                backup_dir=str(backup),
                texts_embedded=3,
                resumed=0,
                cancel_requested=False,
                owner=f"{socket.gethostname()}:{2**22 + 1}",  # above Linux's pid_max default: dead
                heartbeat=utcnow(),
            ),
        )
    return folders, state


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") if p.is_file() else "<dir>" for p in folder.iterdir()}


def test_a_job_interrupted_in_a_collection_is_rolled_back_and_run_again_in_its_folder(tmp_path: Path):
    folders, state = interrupted_job_in_b(tmp_path)
    default, other = folders["default"], folders["b"]
    recover(default, state, corpus_of=folders.__getitem__)
    # Rolled back in b's folder; the staged upload kept for the rerun; leftovers there removed.
    assert contents(other) == {"kept.txt": "旧的。\n", ".qa-upload-x": "<dir>"}
    assert contents(default) == {"kept.txt": "旧的。\n"}

    seen: list[tuple[str, str]] = []

    def build(progress: JobProgress) -> str:
        seen.append((progress.job.collection, (other / "kept.txt").read_text(encoding="utf-8")))
        return "v2"

    jobs = JobQueue(default, build, state, corpus_of=folders.__getitem__)
    assert jobs.wait_idle(30)
    assert seen == [("b", "新的。\n")]  # run again in b's folder, from its staged upload
    assert contents(other) == {"kept.txt": "新的。\n"}
    assert contents(default) == {"kept.txt": "旧的。\n"}


def test_a_recovery_that_knows_only_default_leaves_another_collections_job_alone(tmp_path: Path):
    folders, state = interrupted_job_in_b(tmp_path)
    before = {name: contents(folder) for name, folder in folders.items()}
    recover(folders["default"], state)  # never rolled back into the default folder
    assert {name: contents(folder) for name, folder in folders.items()} == before
    with state.session() as session:
        assert [row.status for row in jobs_with_status(session, "running")] == ["running"]
