"""Passages and documents: GET /v1/passages/{id}, GET /v1/passages, GET /v1/documents (within
the key's filter, if it has one)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from qa.api.deps import searched_service
from qa.api.errors import ApiError
from qa.api.policy import RoutePolicy, declare
from qa.api.present import document_out, passage_out
from qa.api.schemas import DocumentSummary, ErrorBody, PassageList, PassageOut
from qa.state.collections import DEFAULT_COLLECTION, NAME_PATTERN

router = APIRouter(prefix="/v1", tags=["passages"])

MAX_PAGE = 1000
_ERRORS = {code: {"model": ErrorBody} for code in (403, 404)}


def _collection(default: str = DEFAULT_COLLECTION):
    return Query(default, pattern=NAME_PATTERN, description="The collection to read.")


@router.get("/passages/{passage_id}", response_model=PassageOut, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:read"))
def get_passage(passage_id: str, request: Request, collection: str = _collection()) -> PassageOut:
    service = searched_service(request, collection)
    row = service.store.row_of(passage_id)
    if row is None:
        raise ApiError(404, "passage_not_found", f"no passage with id '{passage_id[:200]}'")
    return passage_out(service.store.passage(row))


@router.get("/passages", response_model=PassageList, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:read"))
def list_passages(
    request: Request,
    doc_id: str | None = Query(None, description="Only passages of this document."),
    lang: Literal["zh", "en"] | None = Query(None, description="Only passages in this language."),
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    collection: str = _collection(),
) -> PassageList:
    service = searched_service(request, collection)
    if doc_id is not None and doc_id not in {d["doc_id"] for d in service.store.documents()}:
        raise ApiError(404, "document_not_found", f"no document with id '{doc_id[:200]}'")
    total, items = service.store.list_passages(doc_id, lang, offset, limit)
    return PassageList(total=total, items=[passage_out(p) for p in items])


@router.get("/documents", response_model=list[DocumentSummary], responses=_ERRORS)
@declare(RoutePolicy(scope="documents:read"))
def list_documents(request: Request, collection: str = _collection()) -> list[DocumentSummary]:
    service = searched_service(request, collection)
    return [document_out(d) for d in service.store.documents()]
