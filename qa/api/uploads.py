"""An uploaded document, checked before it is accepted (POST /v1/documents).

Type, size and pages come from settings, and every file is read in a child process with a time
and memory limit, so a malformed or hostile file gets a 4xx with a message and never reaches
the corpus or the index. What passes is staged beside the corpus for the job queue to copy in.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from qa.api.errors import ApiError
from qa.api.job_recovery import STAGING_PREFIX
from qa.corpus.errors import CorpusError
from qa.corpus.metadata import Metadata, write_sidecar
from qa.corpus.parse import slugify
from qa.corpus.parsed import ParsedFiles
from qa.corpus.readers import Limits, ReaderError, accepted_extensions, check_allowed, check_size, format_of, is_allowed
from qa.corpus.sources import group_sources, parse_name, parse_source, sidecar_of

# Ends in a letter, digit or '_': the corpus names a document by slugify(file name), which
# strips a trailing '-', so the id given must be its own slug to be the id indexed.
DOC_ID = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9_])?")
MAX_DOC_ID = 100


@dataclass(frozen=True)
class StagedUpload:
    """A checked upload in its staging folder: the files the job will copy into the corpus."""

    doc_id: str
    staged: list[Path]
    staging_dir: Path
    passages: int  # what its build will embed, about


def stage_upload(
    parts: dict[str, UploadFile],
    given_id: str | None,
    corpus_dir: Path,
    limits: Limits,
    reader: ParsedFiles,
    metadata: Metadata | None = None,
) -> StagedUpload:
    """Check the upload's parts ({"": file} or {"zh": …, "en": …}), save them under a staging
    folder in `corpus_dir` and read them (in a child process, the result kept for the build by
    `reader`); `metadata` is kept beside it as its sidecar, as one written by hand would be.
    Nothing is left behind when a check fails."""
    suffixes = {lang: _extension(upload, limits) for lang, upload in parts.items()}
    doc_id = _doc_id(given_id, [Path(p.filename or "").name for p in parts.values()])
    names = {lang: f"{doc_id}.{lang}{suffix}" if lang else f"{doc_id}{suffix}" for lang, suffix in suffixes.items()}
    corpus_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=corpus_dir))
    try:
        staged = []
        for lang, upload in parts.items():
            _save(upload, staging / names[lang], limits.max_bytes)
            staged.append(staging / names[lang])
        expected = _validate(staged, limits, reader)
        if metadata is not None:
            sidecar = sidecar_of(group_sources(staged)[0])
            write_sidecar(sidecar, metadata)
            staged.append(sidecar)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedUpload(doc_id, staged, staging, expected)


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
    if not is_allowed(format_of(Path(name)), limits):
        raise ApiError(
            415,
            "unsupported_document_type",
            f"{name or 'the upload'}: unsupported file type; accepted: {accepted_extensions(limits)}",
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


def _validate(staged: list[Path], limits: Limits, reader: ParsedFiles) -> int:
    """Read every file (in a child process, kept for the build: qa.corpus.parsed) and check the
    document has paragraphs; returns its passage count (what its build will embed, about)."""
    sources = group_sources(staged)
    if len(sources) != 1:
        raise ApiError(422, "invalid_request", "the files do not form one document")
    try:
        for path in staged:  # plain text is parsed in process: its checks (binary data) first
            check_allowed(path, limits)
        doc = parse_source(sources[0], None, limits, reader)
    except ReaderError as exc:
        raise ApiError(422, "unreadable_document", str(exc)) from exc
    except (CorpusError, ValueError) as exc:
        raise ApiError(422, "unreadable_document", str(exc)) from exc
    for lang in ("zh", "en") if sources[0].is_pair else ():
        if not doc.count(lang):
            raise ApiError(422, "unreadable_document", f"the {lang} edition has no paragraphs")
    if not doc.passages:
        raise ApiError(422, "unreadable_document", "no paragraphs found in the document")
    try:  # plain text is parsed here, not by a reader: the same limits on what it holds
        check_size(sources[0].doc_id, len(doc.passages), sum(len(p.text) for p in doc.passages), limits)
    except ReaderError as exc:
        raise ApiError(422, "unreadable_document", str(exc)) from exc
    return len(doc.passages)


__all__ = ["DOC_ID", "MAX_DOC_ID", "StagedUpload", "stage_upload"]
