"""Document filters: `{field: [values]}` — a field matches any listed value, fields combine with AND.

Fields are the passage's `doc_id` and `lang` and any metadata field (qa.corpus.metadata); a
list-valued field such as `tags` matches when any of its elements is listed. A `DocFilter` is a
conjunction of clauses, so a key's filter ANDed with a request's filter on the same field
keeps both clauses (for `tags`, "any of A" and "any of B" is not "any of A ∩ B"). Stores apply
it inside the search, before top-k (qa.store.local.load, qa.store.milvus.store).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qa.corpus.metadata import metadata_values
from qa.corpus.models import Passage

PASSAGE_FIELDS = ("doc_id", "lang")
MAX_FILTER_VALUES = 1000


class FilterError(ValueError):
    """A filter naming an unknown field or of the wrong shape; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DocFilter:
    """Clauses (field, allowed values), all of which must hold; empty = everything."""

    clauses: tuple[tuple[str, frozenset[str]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.clauses)

    def __and__(self, other: DocFilter | None) -> DocFilter:
        if not other:
            return self
        return DocFilter(_canonical(self.clauses + other.clauses))

    @classmethod
    def of(cls, mapping: Mapping[str, Iterable[str]] | None) -> DocFilter:
        """A filter already checked (a key's or a token's), as clauses."""
        return cls(_canonical([(f, frozenset(v)) for f, v in (mapping or {}).items()]))

    @property
    def fields(self) -> set[str]:
        return {f for f, _ in self.clauses}

    def matches(self, passage: Passage) -> bool:
        return all(not values.isdisjoint(passage_values(passage, f)) for f, values in self.clauses)

    def matches_document(self, doc_id: str, metadata: Mapping[str, str | list[str]]) -> bool:
        """Whether the document's own fields pass (every clause but `lang`, which is per passage)."""
        for field, values in self.clauses:
            if field == "lang":
                continue
            have = [doc_id] if field == "doc_id" else metadata_values(metadata.get(field, []))
            if values.isdisjoint(have):
                return False
        return True


def _canonical(clauses: Iterable[tuple[str, frozenset[str]]]) -> tuple[tuple[str, frozenset[str]], ...]:
    """Clauses without repeats in one order, so equal filters are equal (and share a cached mask)."""
    return tuple(sorted(set(clauses), key=lambda c: (c[0], sorted(c[1]))))


def passage_values(passage: Passage, field: str) -> list[str]:
    if field == "doc_id":
        return [passage.doc_id]
    if field == "lang":
        return [passage.lang]
    return metadata_values(passage.metadata.get(field, []))


def filterable_fields(documents: Iterable[Mapping[str, Any]]) -> set[str]:
    """doc_id, lang and every metadata field any document of the collection has."""
    return set(PASSAGE_FIELDS) | {key for d in documents for key in (d.get("metadata") or {})}


def check_filter(raw: object, fields: Collection[str]) -> DocFilter:
    """A request's filter, checked: a JSON object of known fields, each a non-empty list of strings."""
    if raw is None:
        return DocFilter()
    if not isinstance(raw, Mapping):
        raise FilterError("filter", "'filter' must be an object {field: [values]}")
    clauses = []
    for field, values in raw.items():
        if field not in fields:
            known = ", ".join(sorted(fields))
            raise FilterError(field, f"filter field '{str(field)[:70]}' is not known here; filterable fields: {known}")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise FilterError(field, f"filter field '{field}' must be a non-empty list of strings")
        if len(values) > MAX_FILTER_VALUES:
            raise FilterError(field, f"filter field '{field}' lists more than {MAX_FILTER_VALUES} values")
        clauses.append((field, frozenset(values)))
    return DocFilter(_canonical(clauses))


def widening_field(narrower: Mapping[str, list[str]], wider: Mapping[str, Iterable[str]] | None) -> str | None:
    """The first field on which `narrower` (a token's filter) allows a value `wider` (its key's)
    does not; None when it only narrows. A field the key does not filter on is a narrowing."""
    for field, values in narrower.items():
        if wider and field in wider and not set(values) <= set(wider[field]):
            return field
    return None
