"""Milvus boolean expressions: string literals and document filters (qa.store.filters).

`doc_id` and `lang` are scalar fields of the passages collection (with inverted indexes);
metadata lives in the JSON field `meta`, every value stored as a list of strings, so each
metadata clause is one `json_contains_any` whatever the field held (a string or a list).
"""

from __future__ import annotations

import json

from qa.corpus.metadata import KEY_PATTERN, Metadata, metadata_values
from qa.store.filters import PASSAGE_FIELDS, DocFilter


def literal(text: str) -> str:
    """A string literal for a Milvus filter (its parser unquotes Go-style, which JSON escaping
    satisfies). The embedded engine has no filter templates (filter_params), so values are quoted."""
    return json.dumps(text, ensure_ascii=False)


def stored_meta(metadata: Metadata) -> dict[str, list[str]]:
    """What the `meta` JSON field holds: every field as a list."""
    return {key: metadata_values(value) for key, value in metadata.items()}


def filter_expr(doc_filter: DocFilter | None, lang: str | None = None) -> str:
    """The boolean expression of `doc_filter` (and a language), "" for none."""
    parts = [f"lang == {literal(lang)}"] if lang else []
    for field, values in doc_filter.clauses if doc_filter else ():
        listed = "[" + ", ".join(literal(v) for v in sorted(values)) + "]"
        if field in PASSAGE_FIELDS:
            parts.append(f"{field} in {listed}")
        elif KEY_PATTERN.match(field):  # a field name is spliced in: identifiers only
            parts.append(f'json_contains_any(meta["{field}"], {listed})')
        else:
            raise ValueError(f"filter field {field!r} is not an identifier")
    return " and ".join(parts)
