"""Typed request/response bodies of the HTTP API (docs/API.md), apart from the domain models."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from pydantic.config import JsonDict

from qa.answer.followup import MAX_HISTORY
from qa.state.collections import DEFAULT_COLLECTION, NAME_PATTERN

MAX_QUERY_CHARS = 1000
MAX_TOP_K = 50
# The shared contract's document filter, checked against the collection's fields by the route
# (qa.api.deps.searched_service), so a wrong field or type is a 422 bad_filter naming the field.
FILTER_DESCRIPTION = (
    "Document filter {field: [values]}: a field matches any listed value (a list-valued field "
    "such as tags when any element is listed), fields combine with AND. Fields: doc_id, lang "
    "and the collection's metadata fields; applied before top-k. Unknown field or wrong type: "
    "422 bad_filter."
)
FILTER_JSON_SCHEMA: JsonDict = {"additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1}}
MetadataOut = dict[str, str | list[str]]
METADATA_DESCRIPTION = (
    "The document's metadata (title, url, date, tags and other string fields) from the upload "
    "form, a name.meta.json sidecar, Markdown front matter or the file's own properties; "
    "null when it has none."
)
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")

LangFilter = Literal["zh", "en"] | None
# What the validator below accepts, as JSON Schema (for clients and schema-driven fuzzing);
# the validator stays the authority, since "after trimming" has no JSON Schema form.
QUERY_JSON_SCHEMA: JsonDict = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"}


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS"  # letters, numbers, punctuation, symbols


def _trimmed_query(value: str) -> str:
    if _LONE_SURROGATE.search(value):  # "\ud800" in JSON: not text, and unencodable downstream
        raise ValueError("contains a lone UTF-16 surrogate (\\uD800–\\uDFFF), which is not valid Unicode text")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    # Only control (NUL…), zero-width or direction characters: nothing to search for. (Inside a
    # real query they stay; the encoder never sees a NUL: qa.embed.batching replaces it.)
    if not any(map(_visible, value)):
        raise ValueError(
            "must contain visible text: it has only control (such as \\u0000), "
            "zero-width or direction-control characters"
        )
    if len(value) > MAX_QUERY_CHARS:
        raise ValueError(f"must be at most {MAX_QUERY_CHARS} characters after trimming (got {len(value)})")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Strict):
    query: StrictStr = Field(
        description="The question, 1–1000 characters after trimming.",
        json_schema_extra=QUERY_JSON_SCHEMA,
        examples=["When will China peak its carbon emissions?"],
    )
    top_k: Annotated[StrictInt, Field(ge=1, le=MAX_TOP_K)] = 5
    lang: LangFilter = Field(None, description="Only passages in this language; null = both.")
    collection: str = Field(DEFAULT_COLLECTION, pattern=NAME_PATTERN, description="The collection to search.")
    filter: dict[str, Any] | None = Field(None, description=FILTER_DESCRIPTION, json_schema_extra=FILTER_JSON_SCHEMA)

    _check_query = field_validator("query")(_trimmed_query)


ChineseScript = Literal["zh-Hans", "zh-Hant"]
SCRIPT_DESCRIPTION = (
    "Chinese script the question is written in: zh-Hant when it has Traditional "
    "characters, zh-Hans when it has Chinese characters and no Traditional ones, "
    "null when it has no Chinese characters."
)
CONVERTED_DESCRIPTION = (
    "`text` converted to the asker's Chinese script (OpenCC) when it is Chinese in "
    "the other script; null otherwise. `text` itself stays verbatim."
)


class TranslationOut(BaseModel):
    passage_id: str
    lang: Literal["zh", "en"]
    text: str
    uncertain: bool | None = Field(
        None, description="true when the build found this translation link doubtful; null otherwise."
    )


class CitationOut(BaseModel):
    doc_title: str
    section: list[str] = Field(default_factory=list)
    paragraph: int = Field(description="Paragraph number within this document and language, from 1.")
    label: str
    page: int | None = Field(None, description="Page (from 1) where the paragraph starts, for PDFs.")


class PassageOut(BaseModel):
    """A passage as the API shows it (kept apart from the stored record on purpose)."""

    passage_id: str
    doc_id: str
    lang: Literal["zh", "en"]
    text: str
    citation: CitationOut
    translations: list[TranslationOut] = Field(default_factory=list)
    metadata: MetadataOut | None = Field(None, description=METADATA_DESCRIPTION)


class SearchHit(PassageOut):
    rank: int
    score: float = Field(description="Higher is better.")
    text_converted: str | None = Field(None, description=CONVERTED_DESCRIPTION)


class SearchResponse(BaseModel):
    query: str
    query_lang: Literal["zh", "en"]
    took_ms: float
    results: list[SearchHit]
    confident: bool = Field(description="Whether the top result likely answers the query.")
    confidence: float = Field(description="0–1 calibrated confidence behind `confident`.")
    query_script: ChineseScript | None = Field(None, description=SCRIPT_DESCRIPTION)


class PassageList(BaseModel):
    total: int
    items: list[PassageOut]


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
    question: StrictStr = Field(
        description="The question, 1–1000 characters after trimming.",
        json_schema_extra=QUERY_JSON_SCHEMA,
        examples=["全国碳市场覆盖了多少碳排放量？"],
    )
    lang: LangFilter = Field(None, description="Language of the answer; null = the question's.")
    collection: str = Field(DEFAULT_COLLECTION, pattern=NAME_PATTERN, description="The collection to ask.")
    filter: dict[str, Any] | None = Field(None, description=FILTER_DESCRIPTION, json_schema_extra=FILTER_JSON_SCHEMA)
    top_k: Annotated[StrictInt, Field(ge=1, le=MAX_TOP_K)] = 5
    history: list[Annotated[StrictStr, Field(json_schema_extra=QUERY_JSON_SCHEMA)]] | None = Field(
        None,
        max_length=MAX_HISTORY,
        examples=[["全国碳排放权交易市场是哪一年启动的？"]],
        description=f"Earlier questions of the conversation, oldest first (at most {MAX_HISTORY}, "
        'each like `question`): a follow-up such as "And the N?" is read in their light.',
    )

    _check_question = field_validator("question")(_trimmed_query)

    @field_validator("history")
    @classmethod
    def _check_history(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        checked = []
        for number, item in enumerate(value, 1):
            try:
                checked.append(_trimmed_query(item))
            except ValueError as exc:
                raise ValueError(f"earlier question {number} {exc}") from None
        return checked


class AnswerSpan(BaseModel):
    text: str = Field(description="Verbatim from the passage `passage_id`.")
    passage_id: str
    start: int = Field(description="Character offset of `text` in the passage's text.")
    end: int
    text_converted: str | None = Field(None, description=CONVERTED_DESCRIPTION)


class AskResponse(BaseModel):
    question: str
    question_lang: Literal["zh", "en"]
    answer_lang: Literal["zh", "en"]
    answerable: bool = Field(description='True exactly when `support` is "stated".')
    confidence: float = Field(
        description="0–1, the calibrated probability that the quoted sentence "
        "states what was asked; answerable when it reaches the "
        "fitted threshold (qa/search/calibration.json)."
    )
    answer: AnswerSpan | None
    citations: list[SearchHit]
    message: str | None = Field(
        None,
        description="For the widget, in the asker's language, when "
        "answerable is false: what the documents do not state (related), "
        "or a polite 'not covered' note (none).",
    )
    took_ms: float | None = None
    support: Literal["stated", "related", "none"] | None = Field(
        None,
        description="stated: the quote gives what was asked; related: the documents speak of "
        "the subject but do not state the asked fact; none: not covered.",
    )
    closest: AnswerSpan | None = Field(
        None,
        description='Only when support is "related" (answer is then null): the nearest '
        "sentence(s), verbatim, never to be shown as the answer.",
    )
    question_script: ChineseScript | None = Field(None, description=SCRIPT_DESCRIPTION)
    answer_id: str | None = Field(
        None, description="Id of this answer for POST /v1/feedback (absent when the state store is unavailable)."
    )


FEEDBACK_REASONS = ("wrong", "not_relevant", "outdated", "other")
MAX_COMMENT_CHARS = 1000


class FeedbackRequest(_Strict):
    answer_id: Annotated[StrictStr, Field(min_length=1, max_length=80)] = Field(
        description="`answer_id` of a /v1/ask response."
    )
    rating: Literal["up", "down"]
    reason: Literal["wrong", "not_relevant", "outdated", "other"] | None = Field(
        None, description="Why an answer was rated down."
    )
    comment: Annotated[StrictStr, Field(max_length=MAX_COMMENT_CHARS)] | None = None


class FeedbackAccepted(BaseModel):
    answer_id: str
    rating: Literal["up", "down"]
    replaced: bool = Field(description="True when this visitor had rated the answer before.")
