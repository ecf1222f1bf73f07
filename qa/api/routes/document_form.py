"""The form of POST /v1/documents: its OpenAPI description (the route reads the form itself,
after the key check) and its `metadata` field."""

from __future__ import annotations

from typing import Any

from qa.api.errors import ApiError
from qa.corpus.metadata import Metadata, MetadataError, parse_metadata_json
from qa.state.collections import NAME_PATTERN

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
                            "pattern": NAME_PATTERN,
                            "description": "The collection to add it to (default `default`).",
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
