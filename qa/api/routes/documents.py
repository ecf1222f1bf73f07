"""Documents over HTTP (optional extension, admin key): upload, look up, delete; jobs report progress.

POST /v1/documents        multipart: `file`, or `zh` + `en` (two editions); optional `doc_id` → 202
GET  /v1/jobs/{job_id}    {"status": "queued|running|done|failed|cancelled", "progress": 0–1, ...}
DELETE /v1/jobs/{job_id}  cancels a queued or running job (its corpus change is rolled back)
GET  /v1/documents/{id}   what the served index holds for the document (API key, like /v1/documents)
DELETE /v1/documents/{id} → 202, the document leaves the corpus and the index

An upload is checked before it is accepted: type, size and pages from settings, and every file
is read in a child process with a time and memory limit, so a malformed or hostile file gets a
4xx with a message and never reaches the corpus or the index.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from qa.api.deps import get_service, may_use
from qa.api.errors import ApiError
from qa.api.jobs import JOBS_FILE, KEEP_JOBS, STAGING_PREFIX, Job, JobProgress, JobQueue, JobRecords
from qa.api.middleware.limits import is_multipart
from qa.api.policy import RoutePolicy, declare
from qa.api.routes.document_form import UPLOAD_FORM, metadata_field, validate_upload
from qa.api.schemas import ErrorBody
from qa.corpus.errors import CorpusError
from qa.corpus.metadata import Metadata, write_sidecar
from qa.corpus.models import Alignment
from qa.corpus.parse import slugify
from qa.corpus.readers import EXTENSIONS, Limits, format_of
from qa.corpus.sources import (
    corpus_sources,
    document_file_names,
    group_sources,
    parse_name,
    sidecar_of,
)
from qa.embed.shared import SharedBuildEncoder
from qa.service import Service
from qa.store.collections import DEFAULT_COLLECTION

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["documents"])

# Ends in a letter, digit or '_': the corpus names a document by slugify(file name), which
# strips a trailing '-', so the id given must be its own slug to be the id indexed.
DOC_ID = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9_])?")
MAX_DOC_ID = 100
_ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429)}
_LOCK = threading.Lock()


class JobAccepted(BaseModel):
    job_id: str
    doc_id: str


class JobStatus(BaseModel):
    job_id: str
    doc_id: str
    kind: str = Field(description="add or delete")
    status: str = Field(description="queued, running, done, failed or cancelled")
    progress: float = Field(ge=0, le=1)
    error: str | None = None
    index_version: str | None = Field(None, description="The index version that serves the change.")
    texts_embedded: int = Field(0, description="Texts this job's build has embedded so far.")
    texts_expected: int | None = Field(
        None, description="Texts it is expected to embed (estimated from the uploaded document's passages)."
    )
    eta_seconds: float | None = Field(None, description="Seconds left at the speed so far.")
    note: str | None = Field(
        None, description="E.g. that a restart interrupted the job, which was rolled back and queued again."
    )


class DocumentDetail(BaseModel):
    doc_id: str
    indexed: bool = Field(description="Whether the served index holds the document.")
    title: dict[str, str] = Field(default_factory=dict)
    format: str | None = None
    source: str | None = None
    files: list[str] = Field(default_factory=list, description="Its files in the corpus folder.")
    passages: dict[str, int] = Field(default_factory=dict)
    aligned_units: int = 0
    weak_alignments: list[Alignment] = Field(
        default_factory=list,
        description="Aligned units the build found doubtful (low similarity, "
        "length misfit or a better rival paragraph).",
    )
    job: JobStatus | None = Field(None, description="The latest unfinished job for this document.")


def job_status(job: Job) -> JobStatus:
    return JobStatus(
        job_id=job.job_id,
        doc_id=job.doc_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        error=job.error,
        index_version=job.index_version,
        texts_embedded=job.texts_embedded,
        texts_expected=job.texts_expected,
        eta_seconds=job.eta_seconds,
        note=job.note,
    )


def _rebuild(app):
    """The worker's rebuild step: build a new index version, then serve it."""
    settings, holder = app.state.settings, app.state.holder

    def rebuild(progress: JobProgress) -> str:
        from qa.service import build_store

        served = holder.service
        encoder = served.encoder if served is not None else _build_encoder(app)
        queries = getattr(getattr(served, "engine", None), "encoder", None)
        waiting = (lambda: queries.queue.pending_cost > 0) if hasattr(queries, "queue") else (lambda: False)
        encoder = SharedBuildEncoder(encoder, progress.texts, waiting, settings.build_encoder_share)
        progress(0.0)
        # Into the configured store (FAISS folder or Milvus); deleting the last document is allowed.
        build_store(settings, encoder, progress=False, allow_empty=True)
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
        from qa.embed.model import load_encoder

        settings = app.state.settings
        encoder = app.state.build_encoder = load_encoder(settings.model, settings.threads)
    return encoder


def start_jobs(app) -> JobQueue:
    """The app's job queue, made at start-up: it recovers the jobs a restart interrupted (their
    corpus change rolled back) before the index is opened, and runs the queued ones."""
    with _LOCK:
        jobs = getattr(app.state, "document_jobs", None)
        if jobs is None:
            settings = app.state.settings
            records = JobRecords(settings.index_dir / JOBS_FILE)
            jobs = app.state.document_jobs = JobQueue(settings.corpus_dir, _rebuild(app), records)
    return jobs


def get_jobs(request: Request) -> JobQueue:
    return start_jobs(request.app)


def _doc_id(given: str | None, filenames: list[str]) -> str:
    if given is not None:
        if not DOC_ID.fullmatch(given) or slugify(given) != given:
            raise ApiError(
                422,
                "invalid_doc_id",
                "doc_id must be 1–100 characters of a–z, 0–9, '-' "
                "and '_', starting with a letter or digit and not ending with '-'",
            )
        return given
    name = parse_name(Path(filenames[0])) if filenames[0] else None
    if name is None:
        raise ApiError(422, "invalid_doc_id", "give a doc_id, or a file name with an extension")
    # A long file name gives a shortened id (the file is stored under the id, not its name).
    derived = slugify(slugify(name.stem)[:MAX_DOC_ID])
    if not DOC_ID.fullmatch(derived):
        raise ApiError(422, "invalid_doc_id", "no valid id can be made from the file name; give a doc_id")
    return derived


def _extension(upload: UploadFile, limits: Limits) -> str:
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    fmt = format_of(Path(name))
    allowed = limits.formats or tuple(dict.fromkeys(EXTENSIONS.values()))
    if fmt is None or fmt not in allowed:
        accepted = ", ".join(sorted(e for e, f in EXTENSIONS.items() if f in allowed))
        raise ApiError(
            415, "unsupported_document_type", f"{name or 'the upload'}: unsupported file type; accepted: {accepted}"
        )
    return suffix


def _save(upload: UploadFile, target: Path, limit: int) -> None:
    written = 0
    with open(target, "wb") as handle:
        while chunk := upload.file.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise ApiError(
                    413,
                    "document_too_large",
                    f"{upload.filename}: larger than the {limit / 1e6:.1f} MB limit (QA_MAX_DOCUMENT_BYTES)",
                )
            handle.write(chunk)


FORM_FIELDS = ("file", "zh", "en", "doc_id", "collection", "metadata")


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
            may_use(request, collection)
            if collection != DEFAULT_COLLECTION:
                raise ApiError(
                    422,
                    "collection_uploads_unsupported",
                    "uploads over HTTP go to the collection "
                    f"'{DEFAULT_COLLECTION}' only so far: use `qa ingest --collection {collection[:100]}`",
                )
            doc_id = form.get("doc_id")
            if doc_id is not None and not isinstance(doc_id, str):
                raise ApiError(422, "invalid_doc_id", "doc_id must be a text field")
            metadata = metadata_field(form.get("metadata"))
            return await run_in_threadpool(
                _accept, request, uploads["file"], uploads["zh"], uploads["en"], doc_id, metadata
            )
    except MultiPartException as exc:
        raise ApiError(422, "invalid_request", f"the multipart body is malformed: {exc.message}") from exc


def _accept(
    request: Request,
    file: UploadFile | None,
    zh: UploadFile | None,
    en: UploadFile | None,
    doc_id: str | None,
    metadata: Metadata | None = None,
) -> JobAccepted:
    """Check, stage and queue an upload (blocking: file copies and the child-process read)."""
    settings = request.app.state.settings
    limits = Limits.from_settings(settings)
    if file is not None and (zh is not None or en is not None):
        raise ApiError(422, "invalid_request", "send either one part 'file' or two parts 'zh' and 'en'")
    if file is None and (zh is None or en is None):
        raise ApiError(422, "invalid_request", "send one part 'file', or both editions as parts 'zh' and 'en'")
    parts = {"": file} if file is not None else {"zh": zh, "en": en}
    suffixes = {lang: _extension(upload, limits) for lang, upload in parts.items()}
    doc_id = _doc_id(doc_id, [Path(p.filename or "").name for p in parts.values()])
    names = {lang: f"{doc_id}.{lang}{suffix}" if lang else f"{doc_id}{suffix}" for lang, suffix in suffixes.items()}
    corpus_dir: Path = settings.corpus_dir
    corpus_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=corpus_dir))
    try:
        staged = []
        for lang, upload in parts.items():
            _save(upload, staging / names[lang], limits.max_bytes)
            staged.append(staging / names[lang])
        expected = validate_upload(staged, limits)
        if metadata is not None:  # kept beside the document, as a sidecar written by hand would be
            sidecar = sidecar_of(group_sources(staged)[0])
            write_sidecar(sidecar, metadata)
            staged.append(sidecar)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    job = get_jobs(request).submit(doc_id, "add", staged=staged, staging_dir=staging, texts_expected=expected)
    log.info("document %s accepted as job %s (%s)", doc_id, job.job_id, ", ".join(names.values()))
    return JobAccepted(job_id=job.job_id, doc_id=doc_id)


@router.get("/jobs/{job_id}", response_model=JobStatus, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:write"))
def get_job(job_id: str, request: Request) -> JobStatus:
    may_use(request, DEFAULT_COLLECTION)
    job = get_jobs(request).get(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job with id '{job_id[:100]}' (the last {KEEP_JOBS} jobs are kept)")
    return job_status(job)


@router.delete("/jobs/{job_id}", response_model=JobStatus, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:write"))
def cancel_job(job_id: str, request: Request) -> JobStatus:
    """Cancel a queued job, or a running one at its next step (its corpus change is rolled
    back); the answer is the job as it is now (a running one says `cancelled` once stopped)."""
    may_use(request, DEFAULT_COLLECTION)
    job = get_jobs(request).cancel(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job with id '{job_id[:100]}'")
    return job_status(job)


def _files_of(corpus_dir: Path, doc_id: str) -> list[str]:
    try:
        return [name for s in corpus_sources(corpus_dir) if s.doc_id == doc_id for name in document_file_names(s)]
    except CorpusError:
        return []


@router.get("/documents/{doc_id}", response_model=DocumentDetail, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:read"))
def get_document(doc_id: str, request: Request, service: Service = Depends(get_service)) -> DocumentDetail:
    jobs: JobQueue | None = getattr(request.app.state, "document_jobs", None)
    pending = jobs.pending(doc_id) if jobs is not None else None
    files = _files_of(request.app.state.settings.corpus_dir, doc_id)
    entry = next((d for d in service.store.documents() if d["doc_id"] == doc_id), None)
    if entry is None:
        if pending is None:
            raise ApiError(404, "document_not_found", f"no document with id '{doc_id[:200]}'")
        return DocumentDetail(doc_id=doc_id, indexed=False, files=files, job=job_status(pending))
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
        job=job_status(pending) if pending else None,
    )


@router.delete("/documents/{doc_id}", status_code=202, response_model=JobAccepted, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:write"))
def delete_document(doc_id: str, request: Request) -> JobAccepted:
    may_use(request, DEFAULT_COLLECTION)
    """Remove the document's files from the corpus and rebuild without it."""
    corpus_dir: Path = request.app.state.settings.corpus_dir
    try:
        sources = corpus_sources(corpus_dir)
    except CorpusError as exc:
        raise ApiError(404, "document_not_found", str(exc)) from exc
    if not any(s.doc_id == doc_id for s in sources):
        raise ApiError(404, "document_not_found", f"no document with id '{doc_id[:200]}' in the corpus")
    if all(s.doc_id == doc_id for s in sources):
        raise ApiError(
            409, "last_document", "this is the only document; an index needs at least one (add another document first)"
        )
    job = get_jobs(request).submit(doc_id, "delete")
    return JobAccepted(job_id=job.job_id, doc_id=doc_id)
