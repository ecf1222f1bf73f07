"""Domain results → public API shapes, in one place for the HTTP routes and `qa search --json`."""

from __future__ import annotations

from qa.answer.extract import Answer, AskResult
from qa.api.schemas import (AnswerSpan, AskResponse, CitationOut, DocumentSummary, PassageOut, SearchHit,
                            SearchResponse, TranslationOut)
from qa.corpus.models import Passage
from qa.search.engine import Hit, SearchResult


def passage_out(passage: Passage) -> PassageOut:
    c = passage.citation
    return PassageOut(
        passage_id=passage.passage_id, doc_id=passage.doc_id, lang=passage.lang, text=passage.text,
        citation=CitationOut(doc_title=c.doc_title, section=list(c.section), paragraph=c.paragraph,
                             label=c.label, page=c.page),
        translations=[TranslationOut(passage_id=t.passage_id, lang=t.lang, text=t.text)
                      for t in passage.translations])


def hit_out(rank: int, hit: Hit) -> SearchHit:
    return SearchHit(rank=rank, score=hit.score, **passage_out(hit.passage).model_dump())


def search_response(query: str, result: SearchResult, took_ms: float) -> SearchResponse:
    return SearchResponse(query=query, query_lang=result.query_lang, took_ms=round(took_ms, 2),
                          results=[hit_out(i, h) for i, h in enumerate(result.hits, 1)],
                          confident=result.confident, confidence=result.confidence)


def answer_span(answer: Answer | None) -> AnswerSpan | None:
    if answer is None:
        return None
    return AnswerSpan(text=answer.text, passage_id=answer.passage_id, start=answer.start, end=answer.end)


def ask_response(question: str, result: AskResult, took_ms: float) -> AskResponse:
    return AskResponse(
        question=question,
        question_lang=result.question_lang,
        answer_lang=result.answer_lang,
        answerable=result.answerable,
        confidence=result.confidence,
        answer=answer_span(result.answer),
        citations=[hit_out(i, h) for i, h in enumerate(result.citations, 1)],
        message=result.message,
        took_ms=round(took_ms, 2),
        support=result.support,
        closest=answer_span(result.closest),
    )


def document_out(summary: dict) -> DocumentSummary:
    return DocumentSummary(doc_id=summary["doc_id"], title=summary["title"], passages=summary["passages"])
