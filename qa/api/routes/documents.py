"""Documents over HTTP (optional extension, admin key): upload, look up, delete; jobs report progress.

POST /v1/documents        multipart: `file`, or `zh` + `en` (two editions); optional `doc_id`, `collection` → 202
GET  /v1/jobs/{job_id}    {"status": "queued|running|done|failed|cancelled", "progress": 0–1, ...}
DELETE /v1/jobs/{job_id}  cancels a queued or running job (its corpus change is rolled back)
GET  /v1/documents/{id}   what the served index holds for the document (API key, like /v1/documents)
DELETE /v1/documents/{id} → 202, the document leaves the corpus and the index
(the last two take `?collection=`; every job works in its own collection's folders)

An upload is checked before it is accepted (qa.api.uploads): a malformed or hostile file gets a
4xx with a message and never reaches the corpus or the index.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from qa.api.deps import collection_service, may_use
from qa.api.errors import ApiError
from qa.api.job_recovery import LEGACY_JOBS_FILE
from qa.api.jobs import KEEP_JOBS, JobProgress, JobQueue
from qa.api.middleware.limits import is_multipart
from qa.api.policy import RoutePolicy, declare
from qa.api.routes.document_form import UPLOAD_FORM, metadata_field
from qa.api.routes.document_schemas import DocumentDetail, JobAccepted, JobStatus
from qa.api.schemas import ErrorBody
from qa.api.uploads import stage_upload
from qa.corpus.errors import CorpusError
from qa.corpus.metadata import Metadata
from qa.corpus.parsed import PARSED_DIR, ParsedFiles
from qa.corpus.readers import Limits
from qa.corpus.sources import corpus_sources, document_file_names
from qa.embed.model import load_encoder
from qa.embed.shared import SlicedBuildEncoder
from qa.embed.threads import lower_thread_priority, nice_for_share
from qa.service import build_store
from qa.settings import Settings
from qa.state import open_state
from qa.state.collections import NAME_PATTERN
from qa.store.collections import DEFAULT_COLLECTION, collection_corpus, collection_exists, collection_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["documents"])

_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)}
_LOCK = threading.Lock()


def _rebuild(app):
    """The worker's rebuild step: build a new index version of the job's collection, then serve it."""
    settings, holder = app.state.settings, app.state.holder

    def rebuild(progress: JobProgress) -> str:
        # Its own model, on this worker thread at a lower CPU priority: a query never waits for
        # a build's model call, and takes the cores from the build whenever it needs them.
        lower_thread_priority(nice_for_share(settings.build_encoder_share))
        encoder = SlicedBuildEncoder(_build_encoder(app), progress.texts)
        progress(0.0)
        collection = progress.job.collection
        if collection != DEFAULT_COLLECTION:
            if not keeps_collections(settings):  # it would overwrite the default index
                raise RuntimeError(UNSUPPORTED_STORE)
            # Its own corpus and index folders: the default index is not touched.
            version = build_store(
                collection_settings(settings, collection),
                encoder,
                progress=False,
                allow_empty=True,
                on_reused=progress.reused,
            )
            progress(0.9)
            holder.for_collection(collection)  # reopened now (it sees the new live version)
            return version
        # Into the configured store (FAISS folder or Milvus); deleting the last document is allowed.
        build_store(settings, encoder, progress=False, allow_empty=True, on_reused=progress.reused)
        progress(0.9)
        if holder.service is None:  # a server started without an index: load it now
            holder.error = None
            holder.start()
            holder.ready.wait(timeout=600)
            if holder.service is None:
                raise RuntimeError(f"built, but the index could not be loaded: {holder.error}")
            return holder.service.store.version
        return app.state.reloader.reload().index_version if hasattr(app.state, "reloader") else holder.reload()

    return rebuild


def _build_encoder(app):
    encoder = getattr(app.state, "build_encoder", None)
    if encoder is None:
        settings = app.state.settings
        # One core fewer than the queries may use: a team whose member a query preempts stalls
        # at every barrier, so the build keeps to the cores the queries leave it.
        encoder = app.state.build_encoder = load_encoder(settings.model, max(1, settings.threads - 1))
    return encoder


def start_jobs(app) -> JobQueue:
    """The app's job queue, made at start-up: it recovers the jobs a restart interrupted (their
    corpus change rolled back) before the index is opened, and runs the queued ones. Jobs are
    rows of the state store (QA_DATABASE_URL or state.db), shared by every worker and replica."""
    with _LOCK:
        jobs = getattr(app.state, "document_jobs", None)
        if jobs is None:
            settings = app.state.settings
            jobs = app.state.document_jobs = JobQueue(
                settings.corpus_dir,
                _rebuild(app),
                open_state(settings),
                settings.index_dir / LEGACY_JOBS_FILE,
                corpus_of=partial(collection_corpus, settings),
            )
    return jobs


def get_jobs(request: Request) -> JobQueue:
    try:
        return start_jobs(request.app)
    except Exception as exc:  # the database is away: jobs cannot be read or queued now
        log.warning("document jobs unavailable: the state store failed to open (%s)", exc)
        raise ApiError(
            503, "state_unavailable", f"the state store cannot be reached: {exc.__class__.__name__}"
        ) from exc


FORM_FIELDS = ("file", "zh", "en", "doc_id", "collection", "metadata")
IN_COLLECTION = Query(DEFAULT_COLLECTION, pattern=NAME_PATTERN, description="The document's collection.")


@router.post("/documents", status_code=202, response_model=JobAccepted, responses=_ERRORS, openapi_extra=UPLOAD_FORM)
@declare(RoutePolicy(scope="documents:write", upload=True))
async def add_document(request: Request) -> JobAccepted:
    """Add or replace a document; the index is rebuilt in the background (see GET /v1/jobs/{id}).

    The key is checked before the form is read, and the form parser spools the files to disk
    (the body limit middleware streams the body within the document limits), so an upload is
    never held in memory whole. The gate has checked the key's `documents:write` scope."""
    if not is_multipart(request.headers.get("content-type", "")):
        raise ApiError(415, "unsupported_media_type", "send the document as multipart/form-data")
    try:
        async with request.form(max_files=len(FORM_FIELDS), max_fields=len(FORM_FIELDS)) as form:
            unknown = sorted(set(form.keys()) - set(FORM_FIELDS))
            if unknown:
                raise ApiError(
                    422,
                    "invalid_request",
                    f"unknown form parts {unknown[:4]}; send 'file', or 'zh' and 'en', and optionally 'doc_id'",
                )
            uploads = {name: form.get(name) for name in ("file", "zh", "en")}
            for name, value in uploads.items():
                if value is not None and not isinstance(value, UploadFile):
                    raise ApiError(422, "invalid_request", f"the part '{name}' must be a file")
            collection = form.get("collection") or DEFAULT_COLLECTION
            if not isinstance(collection, str):
                raise ApiError(422, "invalid_request", "collection must be a text field")
            existing_collection(request, collection)
            doc_id = form.get("doc_id")
            if doc_id is not None and not isinstance(doc_id, str):
                raise ApiError(422, "invalid_doc_id", "doc_id must be a text field")
            metadata = metadata_field(form.get("metadata"))
            return await run_in_threadpool(
                _accept, request, uploads["file"], uploads["zh"], uploads["en"], doc_id, collection, metadata
            )
    except MultiPartException as exc:
        raise ApiError(422, "invalid_request", f"the multipart body is malformed: {exc.message}") from exc


def existing_collection(request: Request, collection: str) -> Settings:
    """The settings of a collection the caller may use: 403 when its key may not, else 404
    when there is no such collection."""
    if not re.fullmatch(NAME_PATTERN, collection):  # never a path outside the collections folder
        raise ApiError(422, "invalid_request", f"'{collection[:100]}' is not a collection name")
    may_use(request, collection)
    settings: Settings = request.app.state.settings
    if not collection_exists(settings, collection):
        raise ApiError(404, "collection_not_found", f"no collection named '{collection[:100]}'")
    if collection != DEFAULT_COLLECTION and not keeps_collections(settings):
        raise ApiError(422, "collection_store_unsupported", UNSUPPORTED_STORE)
    return collection_settings(settings, collection)


# A build with collection settings would still write the one configured Milvus collection.
UNSUPPORTED_STORE = "collections other than 'default' are kept by the local store only (QA_VECTOR_STORE=faiss)"


def keeps_collections(settings: Settings) -> bool:
    return settings.vector_store == "faiss"


def _accept(
    request: Request,
    file: UploadFile | None,
    zh: UploadFile | None,
    en: UploadFile | None,
    doc_id: str | None,
    collection: str = DEFAULT_COLLECTION,
    metadata: Metadata | None = None,
) -> JobAccepted:
    """Check, stage and queue an upload (blocking: file copies and the child-process read)."""
    settings = collection_settings(request.app.state.settings, collection)
    limits = Limits.from_settings(settings)
    if file is not None and (zh is not None or en is not None):
        raise ApiError(422, "invalid_request", "send either one part 'file' or two parts 'zh' and 'en'")
    if file is None and (zh is None or en is None):
        raise ApiError(422, "invalid_request", "send one part 'file', or both editions as parts 'zh' and 'en'")
    parts = {"": file} if file is not None else {"zh": zh, "en": en}
    upload = stage_upload(
        parts, doc_id, settings.corpus_dir, limits, ParsedFiles(settings.index_dir / PARSED_DIR), metadata
    )
    job = get_jobs(request).submit(
        upload.doc_id,
        "add",
        staged=upload.staged,
        staging_dir=upload.staging_dir,
        texts_expected=upload.passages,
        collection=collection,
    )
    log.info("document %s accepted as job %s (%s)", upload.doc_id, job.job_id, ", ".join(p.name for p in upload.staged))
    return JobAccepted(job_id=job.job_id, doc_id=upload.doc_id)


@router.get("/jobs/{job_id}", response_model=JobStatus, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:write"))
def get_job(job_id: str, request: Request) -> JobStatus:
    job = get_jobs(request).get(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job with id '{job_id[:100]}' (the last {KEEP_JOBS} jobs are kept)")
    may_use(request, job.collection)
    return JobStatus.of(job)


@router.delete("/jobs/{job_id}", response_model=JobStatus, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:write"))
def cancel_job(job_id: str, request: Request) -> JobStatus:
    """Cancel a queued job, or a running one at its next step (its corpus change is rolled
    back); the answer is the job as it is now (a running one says `cancelled` once stopped)."""
    jobs = get_jobs(request)
    found = jobs.get(job_id)
    if found is not None:
        may_use(request, found.collection)
    job = jobs.cancel(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job with id '{job_id[:100]}'")
    return JobStatus.of(job)


def _files_of(corpus_dir: Path, doc_id: str) -> list[str]:
    try:
        return [name for s in corpus_sources(corpus_dir) if s.doc_id == doc_id for name in document_file_names(s)]
    except CorpusError:
        return []


@router.get("/documents/{doc_id}", response_model=DocumentDetail, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:read"))
def get_document(doc_id: str, request: Request, collection: str = IN_COLLECTION) -> DocumentDetail:
    service = collection_service(request, collection)
    jobs: JobQueue | None = getattr(request.app.state, "document_jobs", None)
    pending = jobs.pending(doc_id, collection) if jobs is not None else None
    files = _files_of(collection_settings(request.app.state.settings, collection).corpus_dir, doc_id)
    entry = next((d for d in service.store.documents() if d["doc_id"] == doc_id), None)
    if entry is None:
        if pending is None:
            raise ApiError(404, "document_not_found", f"no document with id '{doc_id[:200]}'")
        return DocumentDetail(doc_id=doc_id, indexed=False, files=files, job=JobStatus.of(pending))
    prefix = f"{doc_id}."
    weak = [
        a
        for a in service.store.manifest.get("alignment", {}).get("low_confidence", [])
        if any(i.startswith(prefix) for i in a.get("zh", []))
    ]
    return DocumentDetail(
        doc_id=doc_id,
        indexed=True,
        title=entry["title"],
        format=entry.get("format"),
        source=entry.get("source"),
        files=files,
        passages=entry["passages"],
        aligned_units=len(entry.get("alignments", [])),
        weak_alignments=weak,
        job=JobStatus.of(pending) if pending else None,
    )


@router.delete("/documents/{doc_id}", status_code=202, response_model=JobAccepted, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:write"))
def delete_document(doc_id: str, request: Request, collection: str = IN_COLLECTION) -> JobAccepted:
    """Remove the document's files from the collection's corpus and rebuild without it."""
    corpus_dir: Path = existing_collection(request, collection).corpus_dir
    try:
        sources = corpus_sources(corpus_dir)
    except CorpusError as exc:
        raise ApiError(404, "document_not_found", str(exc)) from exc
    if not any(s.doc_id == doc_id for s in sources):
        raise ApiError(404, "document_not_found", f"no document with id '{doc_id[:200]}' in the corpus")
    if collection == DEFAULT_COLLECTION and all(s.doc_id == doc_id for s in sources):
        raise ApiError(
            409, "last_document", "this is the only document; an index needs at least one (add another document first)"
        )
    job = get_jobs(request).submit(doc_id, "delete", collection=collection)
    return JobAccepted(job_id=job.job_id, doc_id=doc_id)
