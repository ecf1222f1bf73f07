"""Stored API keys: scopes, collections, filter, origins, budgets and expiry, secrets hashed.

A key's secret is `qa_<id>_<random>`: the id lets a request name its key without a search, the
random part (256 bits) is what proves it. Only the SHA-256 of the whole secret is kept: with
that much entropy a slow hash adds nothing, and a fast one keeps the per-request check cheap.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Float, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from qa.state.db import Base, UtcDateTime, utcnow

SECRET_PREFIX = "qa_"


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # None = every collection / no filter / any origin / no budget of its own.
    collections: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    filter: Mapped[dict[str, list[str]] | None] = mapped_column(JSON, nullable=True)
    origins: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    rate_per_minute: Mapped[float | None] = mapped_column(Float, nullable=True)
    tokens_per_minute: Mapped[float | None] = mapped_column(Float, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class NewKey:
    """What creating a key gives back, once: the stored row and its secret."""

    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def key_id_of(secret: str) -> str | None:
    """The id a presented secret names (`qa_<id>_<random>`), or None when it is not one of ours."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    key_id, sep, rest = secret[len(SECRET_PREFIX) :].partition("_")
    return key_id if sep and key_id and rest else None


def create_key(
    session: Session,
    *,
    scopes: list[str],
    name: str = "",
    collections: list[str] | None = None,
    filter: dict[str, list[str]] | None = None,
    origins: list[str] | None = None,
    rate_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    expires_at: datetime | None = None,
) -> NewKey:
    key_id = secrets.token_hex(8)
    secret = f"{SECRET_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=key_id,
        name=name,
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        collections=collections,
        filter=filter,
        origins=origins,
        rate_per_minute=rate_per_minute,
        tokens_per_minute=tokens_per_minute,
        expires_at=expires_at,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return NewKey(row, secret)


def list_keys(session: Session, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def get_key(session: Session, key_id: str) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def revoke_key(session: Session, key_id: str) -> ApiKey | None:
    """Mark the key revoked (kept for the record); None when there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def active_keys(session: Session, now: datetime | None = None) -> list[ApiKey]:
    """Every key that may be used now (what a server's key cache holds)."""
    now = now or utcnow()
    rows = session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)))
    return [row for row in rows if row.active(now)]
