"""Typed request/response bodies of the HTTP API (../shared/API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from qa.corpus.models import Passage

MAX_QUERY_CHARS = 1000
MAX_TOP_K = 50

LangFilter = Literal["zh", "en"] | None


def _trimmed_query(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(f"must be at most {MAX_QUERY_CHARS} characters after trimming (got {len(value)})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Strict):
    query: StrictStr = Field(description="The question, 1–1000 characters after trimming.",
                             examples=["When will China peak its carbon emissions?"])
    top_k: Annotated[StrictInt, Field(ge=1, le=MAX_TOP_K)] = 5
    lang: LangFilter = Field(None, description="Only passages in this language; null = both.")

    _check_query = field_validator("query")(_trimmed_query)


class SearchHit(Passage):
    rank: int
    score: float = Field(description="Higher is better.")


class SearchResponse(BaseModel):
    query: str
    query_lang: Literal["zh", "en"]
    took_ms: float
    results: list[SearchHit]


class PassageList(BaseModel):
    total: int
    items: list[Passage]


class DocumentTitle(BaseModel):
    zh: str
    en: str


class DocumentSummary(BaseModel):
    doc_id: str
    title: DocumentTitle
    passages: dict[str, int]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class Status(BaseModel):
    status: str
    index_version: str | None = None
    model: str | None = None
    passages: int | None = None
