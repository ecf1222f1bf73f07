"""Document jobs: one row per upload or delete, shared by every worker and replica.

A job is claimed by a transactional status update (`claim_next`: queued → running only where
it is still queued), so two workers on one database never run the same job. The worker that
runs a job writes its progress and a heartbeat here, and reads `cancel_requested` (set by a
DELETE /v1/jobs/{id} that any replica may have answered).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, Result, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from qa.state.collections import DEFAULT_COLLECTION
from qa.state.db import Base, UtcDateTime, utcnow

UNFINISHED = ("queued", "running")


class JobRow(Base):
    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(100), index=True)
    # The collection whose corpus folder the job changes and whose index it rebuilds.
    collection: Mapped[str] = mapped_column(String(63), default=DEFAULT_COLLECTION, server_default=DEFAULT_COLLECTION)
    kind: Mapped[str] = mapped_column(String(8))  # add or delete
    status: Mapped[str] = mapped_column(String(10), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    started: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    index_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # Paths on the server that accepted the upload (replicas share the corpus folder).
    staged: Mapped[list[str]] = mapped_column(JSON, default=list)
    remove: Mapped[list[str]] = mapped_column(JSON, default=list)
    staging_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    backup_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    texts_embedded: Mapped[int] = mapped_column(Integer, default=0)
    texts_expected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resumed: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which process runs it ("host:pid") and when it last said so: a restart tells an
    # interrupted job from one another worker is still running.
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


def add_job(session: Session, row: JobRow) -> None:
    session.add(row)
    session.flush()


def get_job(session: Session, job_id: str) -> JobRow | None:
    return session.get(JobRow, job_id)


def jobs_with_status(session: Session, *statuses: str) -> list[JobRow]:
    return list(session.scalars(select(JobRow).where(JobRow.status.in_(statuses)).order_by(JobRow.created)))


def job_collections(session: Session) -> list[str]:
    """Every collection some job has changed (whose corpus folder may hold a job's leftovers)."""
    return sorted(session.scalars(select(JobRow.collection).distinct()))


def latest_unfinished(session: Session, doc_id: str, collection: str = DEFAULT_COLLECTION) -> JobRow | None:
    query = select(JobRow).where(
        JobRow.doc_id == doc_id, JobRow.collection == collection, JobRow.status.in_(UNFINISHED)
    )
    return session.scalars(query.order_by(JobRow.created.desc()).limit(1)).first()


def claim_next(session: Session, owner: str) -> JobRow | None:
    """The oldest queued job, now running for `owner`; None when none is left. The update only
    matches a row that is still queued, so of two workers racing for a job one gets it."""
    while True:
        job_id = session.scalars(
            select(JobRow.job_id).where(JobRow.status == "queued").order_by(JobRow.created).limit(1)
        ).first()
        if job_id is None:
            return None
        now = utcnow()
        claimed = session.execute(
            update(JobRow)
            .where(JobRow.job_id == job_id, JobRow.status == "queued")
            .values(status="running", owner=owner, started=now, heartbeat=now, progress=0.05)
            .execution_options(synchronize_session=False)
        )
        if _changed(claimed) == 1:
            session.flush()
            row = session.get(JobRow, job_id, populate_existing=True)
            assert row is not None
            return row


def cancel_queued(session: Session, job_id: str, message: str) -> bool:
    """Cancel the job if it has not started (True), in one conditional update."""
    done = session.execute(
        update(JobRow)
        .where(JobRow.job_id == job_id, JobRow.status == "queued")
        .values(status="cancelled", finished=utcnow(), error=message, cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    return _changed(done) == 1


def request_cancel(session: Session, job_id: str) -> None:
    """Ask the worker running the job to stop at its next step."""
    session.execute(
        update(JobRow)
        .where(JobRow.job_id == job_id, JobRow.status == "running")
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )


def report_progress(session: Session, job_id: str, **values: object) -> bool:
    """Write the running job's progress and heartbeat; returns whether a cancel was asked."""
    session.execute(
        update(JobRow)
        .where(JobRow.job_id == job_id)
        .values(heartbeat=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.scalar(select(JobRow.cancel_requested).where(JobRow.job_id == job_id)))


def _changed(result: Result[Any]) -> int:
    """Rows an UPDATE matched (a CursorResult's rowcount, which Result's type does not show)."""
    return int(getattr(result, "rowcount", 0))


def prune_finished(session: Session, keep: int) -> None:
    """Keep the newest `keep` jobs; older finished ones go (unfinished ones always stay)."""
    cutoff = session.scalar(select(JobRow.created).order_by(JobRow.created.desc()).offset(keep).limit(1))
    if cutoff is not None:
        session.execute(delete(JobRow).where(JobRow.created <= cutoff, JobRow.status.not_in(UNFINISHED)))
