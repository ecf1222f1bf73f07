"""Stored collections: a name (also its folder name) and a title.

The documents and index versions of a collection live in files (or Milvus), not here; this
table is the list of collections every replica agrees on, and where their settings go.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from qa.state.db import Base, UtcDateTime, utcnow

DEFAULT_COLLECTION = "default"  # the same name as qa.store.collections (settings' own folders)
# Also a folder name and part of a Milvus collection name: no path characters, no dots.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_NAME = re.compile(NAME_PATTERN)


class Collection(Base):
    __tablename__ = "collections"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # Questions the widget offers before the first one, per language ({"zh": [...], "en": [...]}).
    starter_questions: Mapped[dict[str, list[str]] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def valid_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))


def list_collections(session: Session) -> list[Collection]:
    return list(session.scalars(select(Collection).order_by(Collection.name)))


def get_collection(session: Session, name: str) -> Collection | None:
    return session.get(Collection, name)


def add_collection(
    session: Session, name: str, title: str = "", starter_questions: dict[str, list[str]] | None = None
) -> Collection:
    if not valid_name(name):
        raise ValueError(f"{name!r} is not a collection name (lowercase letters, digits, '-' and '_')")
    row = Collection(name=name, title=title, starter_questions=starter_questions, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def remove_collection(session: Session, name: str) -> bool:
    row = session.get(Collection, name)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def ensure_default(session: Session) -> None:
    """The demo corpus is the collection `default`: it exists on every server from the start."""
    if session.get(Collection, DEFAULT_COLLECTION) is None:
        session.add(Collection(name=DEFAULT_COLLECTION, title="", created_at=utcnow()))
