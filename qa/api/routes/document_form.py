"""The form of POST /v1/documents: its OpenAPI description (the route reads the form itself,
after the key check), its `metadata` field, and the check of the staged files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.api.errors import ApiError
from qa.corpus.errors import CorpusError
from qa.corpus.metadata import Metadata, MetadataError, parse_metadata_json
from qa.corpus.readers import Limits, ReaderError, check_allowed, check_size
from qa.corpus.readers.isolated import read_isolated
from qa.corpus.sources import group_sources, parse_source

UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "One document."},
                        "zh": {"type": "string", "format": "binary", "description": "The Chinese edition."},
                        "en": {"type": "string", "format": "binary", "description": "The English edition."},
                        "doc_id": {
                            "type": "string",
                            "description": "Id to give (or replace); default from the file name.",
                        },
                        "metadata": {
                            "type": "string",
                            "description": "Optional JSON object of the document's metadata (title, url, "
                            'date, tags, other string fields), e.g. {"tags": ["public"], "url": "https://…"}; '
                            "kept as the name.meta.json sidecar in the corpus folder.",
                        },
                        "collection": {
                            "type": "string",
                            "description": "Only `default` over HTTP so far (other "
                            "collections: `qa ingest --collection`).",
                        },
                    },
                }
            }
        },
    }
}


def metadata_field(value: object) -> Metadata | None:
    """The `metadata` form field: a JSON object of strings and lists of strings (422 naming the field)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid_metadata", "metadata must be a text field holding a JSON object")
    try:
        return parse_metadata_json(value, "metadata")
    except MetadataError as exc:
        raise ApiError(422, "invalid_metadata", f"{exc} (field '{exc.field}')") from None


def validate_upload(staged: list[Path], limits: Limits) -> int:
    """Read every file (in a child process) and check the document has paragraphs; returns its
    passage count (what its build will embed, about)."""
    sources = group_sources(staged)
    if len(sources) != 1:
        raise ApiError(422, "invalid_request", "the files do not form one document")
    try:
        for path in staged:  # plain text is parsed in process: its checks (binary data) first
            check_allowed(path, limits)
        doc = parse_source(sources[0], None, limits, read_isolated)
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
