"""Domain results → public API shapes, in one place for the HTTP routes and `qa search --json`."""

from __future__ import annotations

from typing import Any

from qa.answer.extract import Answer, AskResult
from qa.api.schemas import (
    AnswerSpan,
    AskResponse,
    CitationOut,
    DocumentSummary,
    PassageOut,
    SearchHit,
    SearchResponse,
    TranslationOut,
)
from qa.corpus.models import Passage
from qa.search.engine import Hit, SearchResult
from qa.store.base import PassageStore
from qa.text.script import Script, in_script, script_of


def passage_out(passage: Passage) -> PassageOut:
    c = passage.citation
    return PassageOut(
        passage_id=passage.passage_id,
        doc_id=passage.doc_id,
        lang=passage.lang,
        text=passage.text,
        citation=CitationOut(
            doc_title=c.doc_title, section=list(c.section), paragraph=c.paragraph, label=c.label, page=c.page
        ),
        translations=[
            TranslationOut(passage_id=t.passage_id, lang=t.lang, text=t.text, uncertain=t.uncertain)
            for t in passage.translations
        ],
        metadata=dict(passage.metadata) or None,
    )


def hit_out(rank: int, hit: Hit, script: Script | None = None) -> SearchHit:
    """A search hit; with the asker's `script`, also its text converted to that script."""
    return SearchHit(
        rank=rank,
        score=hit.score,
        **passage_out(hit.passage).model_dump(),
        text_converted=in_script(hit.passage.text, script),
    )


def search_response(query: str, result: SearchResult, took_ms: float) -> SearchResponse:
    script = script_of(query)
    return SearchResponse(
        query=query,
        query_lang=result.query_lang,
        took_ms=round(took_ms, 2),
        results=[hit_out(i, h, script) for i, h in enumerate(result.hits, 1)],
        confident=result.confident,
        confidence=result.confidence,
        query_script=script,
    )


def answer_span(answer: Answer | None, script: str | None = None) -> AnswerSpan | None:
    """The quote verbatim with its offsets, and converted to the asker's Chinese script."""
    if answer is None:
        return None
    return AnswerSpan(
        text=answer.text,
        passage_id=answer.passage_id,
        start=answer.start,
        end=answer.end,
        text_converted=in_script(answer.text, script),
    )


def ask_response(question: str, result: AskResult, took_ms: float) -> AskResponse:
    script = script_of(question)
    return AskResponse(
        question=question,
        question_lang=result.question_lang,
        answer_lang=result.answer_lang,
        answerable=result.answerable,
        confidence=result.confidence,
        answer=answer_span(result.answer, script),
        citations=[hit_out(i, h, script) for i, h in enumerate(result.citations, 1)],
        message=result.message,
        took_ms=round(took_ms, 2),
        question_script=script,
        support=result.support,
        closest=answer_span(result.closest, script),
    )


def document_out(summary: dict) -> DocumentSummary:
    return DocumentSummary(doc_id=summary["doc_id"], title=summary["title"], passages=summary["passages"])


def nearest_passage(store: PassageStore, passage_id: str) -> dict[str, Any] | None:
    """A cited passage in the API's shape, or None when the live index no longer has it."""
    row = store.row_of(passage_id)
    return passage_out(store.passage(row)).model_dump() if row is not None else None
