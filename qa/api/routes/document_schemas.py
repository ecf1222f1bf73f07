"""The HTTP shapes of /v1/documents and /v1/jobs (qa.api.routes.documents)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from qa.api.jobs import Job
from qa.corpus.models import Alignment


class JobAccepted(BaseModel):
    job_id: str
    doc_id: str


class JobStatus(BaseModel):
    # Read from a queue's Job (its attributes and properties) by `of`.
    model_config = ConfigDict(from_attributes=True)

    job_id: str
    doc_id: str
    kind: str = Field(description="add or delete")
    collection: str | None = Field(None, description="The collection the job changes (`default` unless chosen).")
    status: str = Field(description="queued, running, done, failed or cancelled")
    progress: float = Field(ge=0, le=1)
    error: str | None = None
    index_version: str | None = Field(None, description="The index version that serves the change.")
    texts_embedded: int = Field(0, description="Texts this job's build has embedded so far.")
    texts_expected: int | None = Field(
        None, description="Texts it is expected to embed (estimated from the uploaded document's passages)."
    )
    resumed: int = Field(
        0, description="Texts the build took from the embedding cache instead of embedding them again."
    )
    eta_seconds: float | None = Field(None, description="Seconds left at the speed so far.")
    note: str | None = Field(
        None, description="E.g. that a restart interrupted the job, which was rolled back and queued again."
    )

    @classmethod
    def of(cls, job: Job) -> JobStatus:
        return cls.model_validate(job, from_attributes=True)


class DocumentDetail(BaseModel):
    doc_id: str
    indexed: bool = Field(description="Whether the served index holds the document.")
    title: dict[str, str] = Field(default_factory=dict)
    format: str | None = None
    source: str | None = None
    files: list[str] = Field(default_factory=list, description="Its files in the corpus folder.")
    passages: dict[str, int] = Field(default_factory=dict)
    aligned_units: int = 0
    weak_alignments: list[Alignment] = Field(
        default_factory=list,
        description="Aligned units the build found doubtful (low similarity, "
        "length misfit or a better rival paragraph).",
    )
    job: JobStatus | None = Field(None, description="The latest unfinished job for this document.")


__all__ = ["DocumentDetail", "JobAccepted", "JobStatus"]
