"""Collections: GET /v1/collections, POST /v1/collections (admin), PATCH and DELETE
/v1/collections/{name} (admin).

A collection is a row in the state store (its name and title, shared by replicas) and its own
folders (qa.store.collections): a documents folder and index versions, so a change in one never
rebuilds another. Creating makes both or neither; deleting removes both.
"""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from qa.api.errors import ApiError
from qa.api.grant import grant_of
from qa.api.policy import RoutePolicy, declare
from qa.api.routes.keys import state_of
from qa.api.schemas import ErrorBody
from qa.service import ServiceHolder, collection_summary
from qa.settings import Settings
from qa.state.collections import (
    DEFAULT_COLLECTION,
    NAME_PATTERN,
    add_collection,
    get_collection,
    list_collections,
    remove_collection,
)
from qa.store.collections import collection_root

router = APIRouter(prefix="/v1/collections", tags=["collections"])

_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422, 429, 503)}


StarterList = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=10)]


class StarterQuestions(BaseModel):
    """Questions the widget offers before the first one, per language (at most 10 each)."""

    model_config = ConfigDict(extra="forbid")

    zh: StarterList = Field(default_factory=list)
    en: StarterList = Field(default_factory=list)


class CollectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN, description="Lowercase letters, digits, '-' and '_' (1–63).")
    title: str = Field("", max_length=200)
    starter_questions: StarterQuestions | None = None


class CollectionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=200)
    starter_questions: StarterQuestions | None = None


class CollectionOut(BaseModel):
    name: str
    title: str
    documents: int = Field(description="Documents in its live index version (0 before the first build).")
    passages: dict[str, int] = Field(description="Passages per language of that version.")
    index_version: str | None
    starter_questions: StarterQuestions | None = None


class CollectionList(BaseModel):
    collections: list[CollectionOut]


def describe(settings: Settings, name: str, title: str, starters: dict[str, list[str]] | None = None) -> CollectionOut:
    summary = collection_summary(settings, name)
    return CollectionOut(
        name=name,
        title=title,
        documents=summary.documents,
        passages=summary.passages,
        index_version=summary.index_version,
        starter_questions=StarterQuestions.model_validate(starters) if starters else None,
    )


@router.get("", response_model=CollectionList, responses=_ERRORS)
@declare(RoutePolicy(scope="documents:read"))
def list_all(request: Request) -> CollectionList:
    """The collections this key may use."""
    settings, grant = request.app.state.settings, grant_of(request.scope)
    with state_of(request).session() as session:
        rows = [
            (row.name, row.title, row.starter_questions) for row in list_collections(session) if grant.may_use(row.name)
        ]
    return CollectionList(collections=[describe(settings, *row) for row in rows])


@router.post("", status_code=201, response_model=CollectionOut, responses=_ERRORS)
@declare(RoutePolicy(scope="admin"))
def create(spec: CollectionSpec, request: Request) -> CollectionOut:
    """An empty collection: add documents with `qa ingest --collection NAME`."""
    settings = request.app.state.settings
    root = collection_root(settings, spec.name)
    try:
        with state_of(request).session() as session:
            if get_collection(session, spec.name) is not None:
                raise ApiError(409, "collection_exists", f"the collection '{spec.name}' exists already")
            starters = spec.starter_questions.model_dump() if spec.starter_questions else None
            add_collection(session, spec.name, spec.title, starters)
            # Inside the transaction: if the folders cannot be made, the row is not kept either.
            (root / "corpus").mkdir(parents=True, exist_ok=True)
    except IntegrityError as exc:  # created by another replica between the check and the insert
        raise ApiError(409, "collection_exists", f"the collection '{spec.name}' exists already") from exc
    except OSError as exc:
        raise ApiError(503, "state_unavailable", f"the collection's folder cannot be made: {exc.strerror}") from exc
    return describe(settings, spec.name, spec.title, starters)


@router.patch("/{name}", response_model=CollectionOut, responses=_ERRORS)
@declare(RoutePolicy(scope="admin"))
def change(name: str, body: CollectionChange, request: Request) -> CollectionOut:
    """Set a collection's title or starter questions (a field left out stays as it is)."""
    with state_of(request).session() as session:
        row = get_collection(session, name)
        if row is None:
            raise ApiError(404, "collection_not_found", f"no collection named '{name[:100]}'")
        if body.title is not None:
            row.title = body.title
        if body.starter_questions is not None:
            row.starter_questions = body.starter_questions.model_dump()
        title, starters = row.title, row.starter_questions
    return describe(request.app.state.settings, name, title, starters)


@router.delete("/{name}", status_code=204, responses=_ERRORS)
@declare(RoutePolicy(scope="admin"))
def delete(name: str, request: Request) -> None:
    """Delete a collection with its documents and index versions (not `default`, not the last)."""
    settings = request.app.state.settings
    holder: ServiceHolder = request.app.state.holder
    with state_of(request).session() as session:
        if get_collection(session, name) is None:
            raise ApiError(404, "collection_not_found", f"no collection named '{name[:100]}'")
        if len(list_collections(session)) <= 1:
            raise ApiError(409, "last_collection", "a server keeps at least one collection")
        if name == DEFAULT_COLLECTION:
            raise ApiError(
                409,
                "default_collection",
                "the collection 'default' is QA_CORPUS_DIR and QA_INDEX_DIR themselves and is not deleted",
            )
        remove_collection(session, name)
        holder.forget(name)
        shutil.rmtree(collection_root(settings, name), ignore_errors=True)
