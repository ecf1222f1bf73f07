"""Request dependencies: the loaded service of a collection the caller may use, or a 4xx/503
that says why not; and the caller's own encoder-token budget."""

from __future__ import annotations

from fastapi import Request

from qa.api.errors import ApiError
from qa.api.grant import grant_of
from qa.api.middleware.ratelimit import retry_after_header
from qa.embed.tokens import token_counter
from qa.service import Service, ServiceHolder, filtered_service
from qa.store.collections import DEFAULT_COLLECTION
from qa.store.filters import DocFilter, FilterError, check_filter, filterable_fields

KEY_TOKEN_BUDGETS_STATE = "key_token_budgets"  # app.state attribute: a KeyBudgets


def _not_ready(holder: ServiceHolder) -> ApiError:
    if holder.error:
        return ApiError(503, "index_unavailable", f"the index could not be loaded: {holder.error}")
    return ApiError(503, "not_ready", "the index is still loading; retry shortly", headers={"Retry-After": "2"})


def may_use(request: Request, collection: str) -> None:
    """403 when the caller's key is limited to other collections."""
    if not grant_of(request.scope).may_use(collection):
        raise ApiError(403, "collection_forbidden", f"this key may not use the collection '{collection}'")


def collection_service(request: Request, collection: str = DEFAULT_COLLECTION) -> Service:
    may_use(request, collection)
    holder: ServiceHolder = request.app.state.holder
    try:
        service = holder.for_collection(collection)
    except KeyError:
        raise ApiError(404, "collection_not_found", f"no collection named '{collection[:100]}'") from None
    if service is None:
        raise _not_ready(holder)
    return service


_FIELDS: dict[str, frozenset[str]] = {}  # index version → its filterable fields
_FIELDS_KEPT = 16


def fields_of(service: Service) -> frozenset[str]:
    """The fields a filter may name in the service's index version (computed once per version)."""
    version = service.store.version
    fields = _FIELDS.get(version)
    if fields is None:
        fields = frozenset(filterable_fields(service.store.documents()))
        if len(_FIELDS) >= _FIELDS_KEPT:
            _FIELDS.pop(next(iter(_FIELDS)))
        _FIELDS[version] = fields
    return fields


def searched_service(request: Request, collection: str = DEFAULT_COLLECTION, filter: object = None) -> Service:
    """The collection's service seen through the request's `filter` ANDed with the key's: every
    search of it (ask, follow-ups, chat) stays inside both. 422 bad_filter names a field that is
    unknown here or not a non-empty list of strings."""
    service = collection_service(request, collection)
    try:
        asked = check_filter(filter, fields_of(service)) if filter else DocFilter()
    except FilterError as exc:
        raise ApiError(422, "bad_filter", str(exc)) from None
    return filtered_service(service, DocFilter.of(grant_of(request.scope).filter) & asked)


def get_service(request: Request) -> Service:
    """The `default` collection's service (routes without a `collection` parameter), held to
    the key's filter."""
    return searched_service(request, DEFAULT_COLLECTION)


def charge_key_tokens(request: Request, service: Service, texts: list[str]) -> None:
    """Spend the encoder tokens of `texts` from the key's own `tokens_per_minute` (429 when spent)."""
    grant = grant_of(request.scope)
    if grant.key_id is None or not grant.tokens_per_minute:
        return
    settings = request.app.state.settings
    count = token_counter(service.encoder)
    tokens = sum(min(count(text), settings.max_query_tokens) for text in texts)
    wait = getattr(request.app.state, KEY_TOKEN_BUDGETS_STATE).take(grant.key_id, grant.tokens_per_minute, tokens)
    if wait > 0:
        retry = retry_after_header(wait)
        raise ApiError(
            429,
            "token_budget_exceeded",
            f"this key has used its own {grant.tokens_per_minute:g} "
            f"encoder tokens per minute (this query needs {tokens}); retry in {retry} s",
            headers={"Retry-After": retry},
        )
