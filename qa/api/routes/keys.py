"""Stored keys, managed at run time (scope `admin`): POST/GET /v1/admin/keys, DELETE /v1/admin/keys/{id}.

The replica that creates or revokes a key reloads its key snapshot at once; the others see the
change within QA_KEY_CACHE_SECONDS (qa.api.middleware.stored_keys).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from qa.api.errors import ApiError
from qa.api.middleware.access import stored_keys_of
from qa.api.middleware.tokens import server_secret, signing_secret
from qa.api.policy import RoutePolicy, declare
from qa.api.routes.key_schemas import KeyCreated, KeyList, KeyOut, KeySpec
from qa.api.schemas import ErrorBody
from qa.settings import Settings
from qa.state import StateStore, open_state
from qa.state.collections import get_collection
from qa.state.keys import NewKey, create_key, list_keys, revoke_key

router = APIRouter(prefix="/v1/admin/keys", tags=["admin"])

_ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 422, 429, 503)}


def state_of(request: Request) -> StateStore:
    try:
        return open_state(request.app.state.settings)
    except SQLAlchemyError as exc:
        raise ApiError(
            503, "state_unavailable", f"the state store cannot be reached: {exc.__class__.__name__}"
        ) from exc


def add_key(store: StateStore, settings: Settings, spec: KeySpec) -> KeyCreated:
    """Create a key from a validated spec (shared by the HTTP route and `qa keys create`)."""
    with store.session() as session:
        for name in spec.collections or ():
            if get_collection(session, name) is None:
                raise ApiError(404, "collection_not_found", f"no collection named '{name}'")
        new: NewKey = create_key(session, **spec.model_dump())
    secret = server_secret(settings)
    token_secret = signing_secret(secret, new.key.id) if secret is not None else None
    return KeyCreated(**KeyOut.of(new.key).model_dump(), key=new.secret, token_secret=token_secret)


@router.post("", status_code=201, response_model=KeyCreated, responses=_ERRORS)
@declare(RoutePolicy(scope="admin"))
def create(spec: KeySpec, request: Request) -> KeyCreated:
    """Create a key; its secret (and token signing secret) are in this response only."""
    created = add_key(state_of(request), request.app.state.settings, spec)
    stored_keys_of(request.scope, request.app.state.settings).load_now()
    return created


@router.get("", response_model=KeyList, responses=_ERRORS)
@declare(RoutePolicy(scope="admin"))
def list_all(request: Request) -> KeyList:
    """Every key not revoked (expired ones included, marked by `expires_at`), without secrets."""
    with state_of(request).session() as session:
        return KeyList(keys=[KeyOut.of(row) for row in list_keys(session)])


@router.delete("/{key_id}", response_model=KeyOut, responses=_ERRORS)
@declare(RoutePolicy(scope="admin"))
def revoke(key_id: str, request: Request) -> KeyOut:
    """Revoke a key: refused here at once, on other replicas within QA_KEY_CACHE_SECONDS."""
    with state_of(request).session() as session:
        row = revoke_key(session, key_id)
        if row is None:
            raise ApiError(404, "key_not_found", f"no key with id '{key_id[:100]}'")
        out = KeyOut.of(row)
    stored_keys_of(request.scope, request.app.state.settings).load_now()
    return out
