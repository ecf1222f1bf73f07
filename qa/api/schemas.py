"""Typed request/response bodies of the HTTP API (../shared/API.md)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from qa.corpus.models import Passage

MAX_QUERY_CHARS = 1000
MAX_TOP_K = 50
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")

LangFilter = Literal["zh", "en"] | None
# What the validator below accepts, as JSON Schema (for clients and schema-driven fuzzing);
# the validator stays the authority, since "after trimming" has no JSON Schema form.
QUERY_JSON_SCHEMA = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"}


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS"  # letters, numbers, punctuation, symbols


def _trimmed_query(value: str) -> str:
    if _LONE_SURROGATE.search(value):  # "\ud800" in JSON: not text, and unencodable downstream
        raise ValueError("contains a lone UTF-16 surrogate (\\uD800–\\uDFFF), which is not valid "
                         "Unicode text")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    # Only control (NUL…), zero-width or direction characters: nothing to search for. (Inside a
    # real query they stay; the encoder never sees a NUL: qa.embed.batching replaces it.)
    if not any(map(_visible, value)):
        raise ValueError("must contain visible text: it has only control (such as \\u0000), "
                         "zero-width or direction-control characters")
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(f"must be at most {MAX_QUERY_CHARS} characters after trimming (got {len(value)})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Strict):
    query: StrictStr = Field(description="The question, 1–1000 characters after trimming.",
                             json_schema_extra=QUERY_JSON_SCHEMA, examples=["When will China peak its carbon emissions?"])
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
    confident: bool = Field(description="Whether the top result likely answers the query.")
    confidence: float = Field(description="0–1 calibrated confidence behind `confident`.")


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


class AskRequest(_Strict):
    question: StrictStr = Field(description="The question, 1–1000 characters after trimming.",
                                json_schema_extra=QUERY_JSON_SCHEMA, examples=["全国碳市场覆盖了多少碳排放量？"])
    lang: LangFilter = Field(None, description="Language of the answer; null = the question's.")
    top_k: Annotated[StrictInt, Field(ge=1, le=MAX_TOP_K)] = 5

    _check_question = field_validator("question")(_trimmed_query)


class AnswerSpan(BaseModel):
    text: str = Field(description="Verbatim from the passage `passage_id`.")
    passage_id: str
    start: int = Field(description="Character offset of `text` in the passage's text.")
    end: int


class AskResponse(BaseModel):
    question: str
    question_lang: Literal["zh", "en"]
    answer_lang: Literal["zh", "en"]
    answerable: bool
    confidence: float = Field(description="0–1; answerable when ≥ 0.5.")
    answer: AnswerSpan | None
    citations: list[SearchHit]
    message: str | None = Field(None, description="For the widget: a polite 'not covered' note "
                                                  "in the asker's language when answerable is false.")
    took_ms: float | None = None
