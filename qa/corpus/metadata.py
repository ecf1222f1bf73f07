"""Document metadata: title, url, date, tags and any other string fields a document carries.

Sources, strongest first: the upload form or a `name.meta.json` sidecar beside the file (the
upload form is written as the sidecar, so both are one source), the file's own properties
(Markdown front matter, a PDF's or DOCX's title and date). Every passage of the document
inherits the merged result, and filters (qa.store.filters) match against it.

Values are strings or lists of strings; keys are identifiers, so they can name a filter field
and a Milvus JSON path without quoting. `doc_id` and `lang` are the passage's own fields.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from qa.corpus.errors import CorpusError

Metadata = dict[str, str | list[str]]

KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
RESERVED_KEYS = frozenset({"doc_id", "lang"})
SIDECAR_SUFFIX = ".meta.json"
MAX_METADATA_BYTES = 64 * 1024
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class MetadataError(CorpusError):
    """Metadata of the wrong shape; `field` names the offending key (or "metadata")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _scalar(value: Any, strict: bool) -> str | None:
    if isinstance(value, str):
        return value
    if strict or value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bool, int, float)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return None


def check_metadata(raw: object, where: str = "metadata", strict: bool = True) -> Metadata:
    """`raw` as Metadata, or MetadataError naming the bad field. `strict` (form, sidecar: JSON
    written for us) takes only strings and lists of strings; front matter is YAML written for
    a site generator, so its dates, numbers and booleans become strings."""
    if not isinstance(raw, dict):
        raise MetadataError("metadata", f"{where} must be a JSON object of fields, got {type(raw).__name__}")
    out: Metadata = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise MetadataError(str(key), f"{where}: field name {str(key)[:70]!r} must be letters, digits or _")
        if key in RESERVED_KEYS:
            raise MetadataError(key, f"{where}: '{key}' is the passage's own field and cannot be set")
        if isinstance(value, list):
            items = [_scalar(v, strict) for v in value]
            if any(item is None for item in items):
                raise MetadataError(key, f"{where}: field '{key}' must be a list of strings")
            out[key] = [item for item in items if item is not None]
            continue
        text = _scalar(value, strict)
        if text is None:
            raise MetadataError(key, f"{where}: field '{key}' must be a string or a list of strings")
        out[key] = text
    if len(json.dumps(out, ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
        raise MetadataError("metadata", f"{where} is larger than {MAX_METADATA_BYTES // 1024} KB")
    return out


def parse_metadata_json(text: str, where: str = "metadata") -> Metadata:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise MetadataError("metadata", f"{where} is not valid JSON ({exc})") from exc
    return check_metadata(raw, where)


def sidecar_path(first_file: Path, stem: str) -> Path:
    """`stem.meta.json` beside the document's first file (one sidecar for both editions)."""
    return Path(first_file).parent / f"{stem}{SIDECAR_SUFFIX}"


def read_sidecar(path: Path) -> Metadata:
    if not path.is_file():
        return {}
    return parse_metadata_json(path.read_text(encoding="utf-8-sig"), path.name)


def write_sidecar(path: Path, metadata: Metadata) -> None:
    path.write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def split_front_matter(raw: str, where: str = "front matter") -> tuple[Metadata, str]:
    """(metadata, body) of Markdown text that opens with a `---` YAML block; ({}, raw) without one."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    try:
        loaded = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise MetadataError("metadata", f"{where}: the front matter is not valid YAML ({exc})") from exc
    body = raw[match.end() :]
    if loaded is None:
        return {}, body
    if not isinstance(loaded, dict):  # a horizontal rule pair around text, not front matter
        return {}, raw
    return check_metadata({str(k): v for k, v in loaded.items()}, where, strict=False), body


def pdf_date(value: str) -> str:
    """A PDF date (`D:20230415093000+08'00'`) as ISO `2023-04-15`; "" when it is not one."""
    match = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    if not match:
        return ""
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    return f"{year}-{month}-{day}"


def merge_metadata(*layers: Metadata) -> Metadata:
    """Weakest layer first: a later layer's field replaces an earlier one's."""
    out: Metadata = {}
    for layer in layers:
        out.update({k: v for k, v in layer.items() if v not in ("", [])})
    return out


def metadata_values(value: str | list[str]) -> list[str]:
    return list(value) if isinstance(value, list) else [value]
