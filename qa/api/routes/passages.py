"""Passages and documents: GET /v1/passages/{id}, GET /v1/passages, GET /v1/documents."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from qa.api.deps import get_service
from qa.api.errors import ApiError
from qa.api.schemas import DocumentSummary, ErrorBody, PassageList
from qa.corpus.models import Passage
from qa.service import Service

router = APIRouter(prefix="/v1", tags=["passages"])

MAX_PAGE = 1000


@router.get("/passages/{passage_id}", response_model=Passage, responses={404: {"model": ErrorBody}})
def get_passage(passage_id: str, service: Service = Depends(get_service)) -> Passage:
    row = service.bundle.row_of.get(passage_id)
    if row is None:
        raise ApiError(404, "passage_not_found", f"no passage with id '{passage_id[:200]}'")
    return service.bundle.passages[row]


@router.get("/passages", response_model=PassageList, responses={404: {"model": ErrorBody}})
def list_passages(
    doc_id: str | None = Query(None, description="Only passages of this document."),
    lang: Literal["zh", "en"] | None = Query(None, description="Only passages in this language."),
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    service: Service = Depends(get_service),
) -> PassageList:
    if doc_id is not None and doc_id not in {d["doc_id"] for d in service.bundle.documents}:
        raise ApiError(404, "document_not_found", f"no document with id '{doc_id[:200]}'")
    items = [p for p in service.bundle.passages
             if (doc_id is None or p.doc_id == doc_id) and (lang is None or p.lang == lang)]
    return PassageList(total=len(items), items=items[offset: offset + limit])


@router.get("/documents", response_model=list[DocumentSummary])
def list_documents(service: Service = Depends(get_service)) -> list[DocumentSummary]:
    return [DocumentSummary(doc_id=d["doc_id"], title=d["title"], passages=d["passages"])
            for d in service.bundle.documents]
