"""Sentence spans of a passage, for Chinese (。！？；) and English punctuation alike."""

from __future__ import annotations

import re

# A sentence ends at Chinese end punctuation (plus any closing quotes/brackets), or at English
# end punctuation followed by whitespace and a plausible sentence start, or at a line break
# (bullet lists put one item per line).
_ZH_END = re.compile(r"[。！？；!?;]+[”’」』）)]*")
_EN_END = re.compile(r"(?<!\b[A-Z])(?<!\bNo)(?<!\bMr)(?<!\bDr)(?<!\bSt)[.!?;]+[”’\"')]*(?=\s+[\"“‘(A-Z0-9•])")
MIN_CHARS = 2
# Recorded in the index manifest: a change to the rules above makes older indexes stale.
SPLITTER_VERSION = 1


def sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`, whitespace trimmed, covering all content."""
    boundaries = {len(text)}
    pattern = _ZH_END if lang == "zh" else _EN_END
    for match in pattern.finditer(text):
        boundaries.add(match.end())
    for match in re.finditer(r"\n", text):
        boundaries.add(match.start())
    spans = []
    start = 0
    for end in sorted(boundaries):
        s, e = start, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= MIN_CHARS:
            spans.append((s, e))
        start = end
    return spans


def split_sentences(text: str, lang: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, lang)]
