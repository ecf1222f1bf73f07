"""Bodies of /v1/admin/keys (also what `qa keys create` validates its options with)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from qa.api.policy import Scope_
from qa.corpus.metadata import KEY_PATTERN
from qa.state.collections import NAME_PATTERN
from qa.state.keys import ApiKey
from qa.store.filters import PASSAGE_FIELDS

_ORIGIN = re.compile(r"^https?://[^/\s]+$")


class KeySpec(BaseModel):
    """A key to create. Unset limits mean none of the key's own (the server's limits still apply)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200, description="A label for people (which site, who).")
    scopes: list[Scope_] = Field(min_length=1, description="What the key may do.")
    collections: list[str] | None = Field(
        None, description="Collections it may use; null = all.", json_schema_extra={"items": {"pattern": NAME_PATTERN}}
    )
    filter: dict[str, list[str]] | None = Field(
        None,
        description="A document filter {field: [values]} every request of the key is held to "
        "(ANDed with the request's own filter); null = none.",
    )
    origins: list[str] | None = Field(
        None,
        description="Web pages (origins like https://example.org) it works from, for widget "
        "keys; null = any client (a server-side key).",
    )
    rate_per_minute: float | None = Field(
        None, gt=0, description="Requests per minute of the key, all clients together."
    )
    tokens_per_minute: float | None = Field(
        None, gt=0, description="Encoder tokens per minute of the key on /v1/search and /v1/ask, all clients together."
    )
    expires_at: AwareDatetime | None = Field(None, description="RFC 3339 time after which the key is refused.")

    @field_validator("collections")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        for name in value or ():
            if not re.fullmatch(NAME_PATTERN, name):
                raise ValueError(f"{name!r} is not a collection name (lowercase letters, digits, '-', '_')")
        return sorted(set(value)) if value is not None else None

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        for field, values in (value or {}).items():
            if field not in PASSAGE_FIELDS and not KEY_PATTERN.match(field):
                raise ValueError(f"filter field {field[:70]!r} must be doc_id, lang or a metadata field name")
            if not values:
                raise ValueError(f"filter field '{field}' must list at least one value")
        return value or None

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        origins = [o.strip().rstrip("/") for o in value]
        for origin in origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://example.org[:port]")
        return sorted(set(origins)) or None

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class KeyOut(BaseModel):
    """A stored key as listed: never its secret."""

    id: str
    name: str
    scopes: list[str]
    collections: list[str] | None
    filter: dict[str, list[str]] | None
    origins: list[str] | None
    rate_per_minute: float | None
    tokens_per_minute: float | None
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, row: ApiKey) -> KeyOut:
        return cls.model_validate(row, from_attributes=True)


class KeyCreated(KeyOut):
    """Returned once, at creation: the secret is not kept and cannot be shown again."""

    key: str = Field(description="The secret: send it as `Authorization: Bearer <key>` or `X-API-Key`.")
    token_secret: str | None = Field(
        description="The HS256 secret with which a site's backend signs "
        "visitor tokens for this key (docs/API.md); null when visitor "
        "tokens are off (QA_TOKEN_SECRET)."
    )


class KeyList(BaseModel):
    keys: list[KeyOut]
