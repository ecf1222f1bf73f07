"""Domain models of documents and passages (parser output, stored rows); the API has its own
shapes in qa/api/schemas.py, built from these by qa/api/present.py."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Lang = Literal["zh", "en"]


class Translation(BaseModel):
    passage_id: str
    lang: Lang
    text: str
    uncertain: bool | None = Field(
        None,
        description="True when the build found this link doubtful (its pair matches a rival "
        "paragraph about as well, or the lengths do not fit): kept and shown, but flagged.",
    )


class Citation(BaseModel):
    doc_title: str
    section: list[str] = Field(default_factory=list)
    paragraph: int = Field(description="Paragraph number within this document and language, from 1.")
    label: str
    page: int | None = Field(None, description="Page (from 1) where the paragraph starts, for PDF sources.")


class Passage(BaseModel):
    passage_id: str
    doc_id: str
    lang: Lang
    text: str
    citation: Citation
    translations: list[Translation] = Field(default_factory=list)
    metadata: dict[str, str | list[str]] = Field(
        default_factory=dict, description="The document's metadata (qa.corpus.metadata), inherited."
    )


class Alignment(BaseModel):
    """One aligned unit: Chinese paragraph(s) and the English paragraph(s) that translate them."""

    zh: list[str]
    en: list[str]
    length_score: float = Field(description="0–1: how well the lengths fit the document's ratio.")
    similarity: float | None = Field(None, description="Embedding cosine, filled in at build time.")
    margin: float | None = Field(
        None,
        description="Similarity of the pair minus that of the best rival paragraph of the "
        "document, on language-centred vectors (build time); negative = probably misaligned.",
    )


class Document(BaseModel):
    doc_id: str
    title: dict[str, str]
    source: str
    format: Literal["interleaved", "pair", "monolingual", "parallel"]
    passages: list[Passage]
    alignments: list[Alignment] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list, description="The corpus files this document comes from.")
    aligned_by: Literal["length", "meaning", "given"] | None = Field(
        None,
        description="How the two languages were aligned: paragraph length, embeddings, or "
        "units a translator aligned (TMX, XLIFF, PO).",
    )
    metadata: dict[str, str | list[str]] = Field(
        default_factory=dict, description="title, url, date, tags and other fields (qa.corpus.metadata)."
    )

    def count(self, lang: str) -> int:
        return sum(1 for p in self.passages if p.lang == lang)
