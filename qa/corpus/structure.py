"""Recognise headings (title, preface, numbered sections, subsections, conclusion) in zh and en."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Unnumbered top-level headings that open or close a paper.
_NAMED_ZH = {"前言", "序言", "引言", "导言", "结束语", "结语", "结论", "附录"}
_NAMED_EN = {
    "preface",
    "foreword",
    "introduction",
    "conclusion",
    "conclusions",
    "concluding remarks",
    "epilogue",
    "appendix",
}

_ZH_SECTION = re.compile(r"^[一二三四五六七八九十百]+、\S")
_ZH_SUBSECTION = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*\S")
_EN_SECTION = re.compile(r"^[IVXLC]+\.\s+\S")
_EN_SUBSECTION = re.compile(r"^\d{1,2}\.\s+\S")
_SENTENCE_END = ("。", "！", "？", "；", ".", "!", "?", ";", ":", "：")

MAX_HEADING_CHARS = {"zh": 40, "en": 160}
BULLET = re.compile(r"^[•●▪◦·\-–*]\s*")
TOC_MARKERS = {"目录", "目 录", "contents", "table of contents"}


@dataclass(frozen=True)
class Heading:
    level: int  # 1 = section, 2 = subsection
    text: str


def heading_of(line: str, lang: str) -> Heading | None:
    """The heading this line is, or None for body text."""
    if len(line) > MAX_HEADING_CHARS[lang] or line.endswith(_SENTENCE_END):
        return None
    if lang == "zh":
        if line in _NAMED_ZH or _ZH_SECTION.match(line):
            return Heading(1, line)
        if _ZH_SUBSECTION.match(line):
            return Heading(2, line)
    else:
        if line.lower() in _NAMED_EN or _EN_SECTION.match(line):
            return Heading(1, line)
        if _EN_SUBSECTION.match(line):
            return Heading(2, line)
    return None


def is_bullet(line: str) -> bool:
    return bool(BULLET.match(line)) and not line.startswith("--")


def is_toc_marker(line: str) -> bool:
    return line.strip().lower() in TOC_MARKERS


class SectionTracker:
    """Keeps the current section path of one language as headings go by."""

    def __init__(self) -> None:
        self._open: list[Heading] = []

    @property
    def path(self) -> list[str]:
        return [h.text for h in self._open]

    def enter(self, heading: Heading) -> None:
        # By level, not position: a document without sections has subsections as its top level.
        self._open = [h for h in self._open if h.level < heading.level] + [heading]
