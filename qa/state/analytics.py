"""The question log and its feedback: one row per ask, one rating per visitor per answer.

Nothing here identifies a person: the visitor is a keyed hash of the client that changes every
day (qa.analytics.identity), questions are kept for the retention period only, and a site can
opt a visitor out, in which case no row is written at all.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, CursorResult, Float, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from qa.state.db import Base, UtcDateTime, utcnow

SECRET_BYTES = 32


class AskRecord(Base):
    __tablename__ = "ask_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(String(80), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(8), default="ask")  # "ask" or "search"
    collection: Mapped[str] = mapped_column(String(63), default="default")
    question: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    script: Mapped[str | None] = mapped_column(String(8), nullable=True)
    support: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    cited: Mapped[list[str]] = mapped_column(JSON)
    latency_ms: Mapped[float] = mapped_column(Float)
    visitor: Mapped[str] = mapped_column(String(32))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("answer_id", "visitor", name="one_rating_per_visitor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(String(80), index=True)
    visitor: Mapped[str] = mapped_column(String(32))
    rating: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ServerSecret(Base):
    """Secrets every replica must share (signing answer ids, hashing visitors)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


def shared_secret(session: Session, name: str) -> str:
    """The secret `name`, created on first use; replicas racing to create it keep the first."""
    row = session.get(ServerSecret, name)
    if row is None:
        try:
            with session.begin_nested():  # a savepoint: losing the race leaves the session usable
                session.add(ServerSecret(name=name, value=secrets.token_hex(SECRET_BYTES)))
        except IntegrityError:
            pass
        row = session.get(ServerSecret, name, populate_existing=True)
    if row is None:
        raise RuntimeError(f"the shared secret {name!r} could not be created")
    return row.value


def rate(session: Session, answer_id: str, visitor: str, rating: str, reason: str | None, comment: str | None) -> bool:
    """Store a rating; a visitor's second rating of one answer replaces the first. True if new."""
    row = session.scalars(select(Feedback).where(Feedback.answer_id == answer_id, Feedback.visitor == visitor)).first()
    created = row is None
    if row is None:
        row = Feedback(answer_id=answer_id, visitor=visitor)
        session.add(row)
    row.rating, row.reason, row.comment, row.at = rating, reason, comment, utcnow()
    session.flush()
    return created


def purge_before(session: Session, cutoff: datetime) -> tuple[int, int]:
    """Delete log rows and feedback older than `cutoff`; (asks, ratings) deleted."""
    # A DELETE's result is a cursor result: it has a row count.
    asks = cast(CursorResult[Any], session.execute(delete(AskRecord).where(AskRecord.at < cutoff))).rowcount or 0
    ratings = cast(CursorResult[Any], session.execute(delete(Feedback).where(Feedback.at < cutoff))).rowcount or 0
    return asks, ratings
