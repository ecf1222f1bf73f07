"""Question files: JSON lines of {id, lang, question, gold: [{zh, en}], answers?: {zh: [], en: []}, kind?}.

`gold` holds, per answering fact, a snippet in each language that the answering passage
contains (empty = the corpus cannot answer); the optional `answers` holds short answer strings
(a name, a number) that the quoted answer sentence should contain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from qa.eval.metrics import Gold


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    question: str
    gold: list[Gold]
    answers: dict[str, list[str]] | None = None
    # answerable / near_miss (on the documents' subject, but the asked fact is not given) /
    # off_topic; when absent, answerable if there is a gold answer, else near_miss.
    kind: Literal["answerable", "near_miss", "off_topic"] | None = None

    @model_validator(mode="after")
    def _kind_matches_gold(self) -> Question:
        if self.kind is None:
            self.kind = "answerable" if self.gold else "near_miss"
        elif (self.kind == "answerable") != bool(self.gold):
            raise ValueError(f"kind {self.kind!r} does not match its gold answers")
        return self

    @property
    def answerable(self) -> bool:
        return bool(self.gold)

    def answer_strings(self, lang: str) -> list[str]:
        """Short answers in `lang`, else the gold snippets of that language."""
        if self.answers and self.answers.get(lang):
            return self.answers[lang]
        return [g[lang] for g in self.gold if g.get(lang)]


def load_questions(path: Path) -> list[Question]:
    """Read a JSON-lines question file; a bad line is reported with its number."""
    questions = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                question = Question.model_validate_json(line)
            except ValidationError as exc:
                raise ValueError(f"{path}:{number}: not a valid question ({exc.errors()[0]['msg']})") from exc
            if question.lang not in ("zh", "en"):
                raise ValueError(f"{path}:{number}: lang must be 'zh' or 'en', not {question.lang!r}")
            questions.append(question)
    if not questions:
        raise ValueError(f"{path} holds no questions")
    return questions
