"""A corpus's own terms: words to keep whole, and groups of words that mean the same.

Two plain files in the corpus folder, read at build time and stored in the index manifest (so a
server, or a Milvus replica without the corpus folder, tokenises questions the way the index was):
- `terms.txt`: one term per line — names, products, terms of the field that the segmenter does
  not know and would otherwise cut differently in a question and in a passage;
- `synonyms.txt`: one group of equivalent terms per line, separated by commas (`,` or `，`) or
  tabs, e.g. `光伏, 太阳能发电, photovoltaic, PV`.
Both may be written in either Chinese script (they are folded like every text), and `#` starts
a comment (at the start of a line, or after a space).

Synonyms are folded into one token on both sides — passages at build time, questions at query
time — rather than expanded into several query tokens: BM25 then counts a concept once with one
document frequency, and everything that compares the question's tokens with a text (keyword
search, coverage, the answer-sentence choice) sees the same token without knowing of synonyms.
The index is rebuilt when a file changes (their checksum is part of the corpus checksum), so
folding at build time costs nothing extra.

The tokenizer reads the terms of the index being searched: search sets them for the running
context (`activate`), and later `tokenize` calls of the same request use them (a context that
has not searched uses the terms of the latest search).
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jieba

from qa.text.script import fold

TERMS_FILE = "terms.txt"
SYNONYMS_FILE = "synonyms.txt"
TERMS_FILES = (TERMS_FILE, SYNONYMS_FILE)

_COMMENT = re.compile(r"(^|\s)#.*$")
_SEPARATORS = re.compile(r"[,，\t]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Terms:
    """The words to keep whole and the synonym groups, as written (folding happens on use)."""

    words: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    checksum: str = field(default="", compare=False)

    def __hash__(self) -> int:  # cheap for a large dictionary: equal terms have equal checksums
        return hash((self.checksum, len(self.words), len(self.synonyms)))

    def __bool__(self) -> bool:
        return bool(self.words or self.synonyms)

    @property
    def dictionary(self) -> tuple[str, ...]:
        """Chinese words the segmenter must keep whole (folded): the terms and every synonym."""
        words = [fold(w) for w in (*self.words, *(w for group in self.synonyms for w in group))]
        return tuple(dict.fromkeys(w for w in words if _CJK.search(w)))

    @cached_property
    def segmenter(self) -> jieba.Tokenizer:
        """jieba with this corpus's words (a private dictionary: other corpora keep the default)."""
        if not self.dictionary:
            return jieba.dt
        segmenter = jieba.Tokenizer()
        for word in self.dictionary:
            segmenter.add_word(word)
        return segmenter

    def summary(self) -> dict[str, Any]:
        """What the manifest records and `qa build` reports."""
        return {
            "checksum": self.checksum,
            "terms": len(self.words),
            "synonym_groups": len(self.synonyms),
            "words": list(self.words),
            "synonyms": [list(g) for g in self.synonyms],
        }


NO_TERMS = Terms()
_active: ContextVar[Terms] = ContextVar("qa_terms")
_latest = NO_TERMS  # for a context that searched nothing yet (e.g. a streamed answer's next step)
_recorded: dict[str, Terms] = {}  # by checksum: one segmenter per terms, however often they are looked up
_RECORDED_MAX = 8


def terms_from_manifest(manifest: dict[str, Any]) -> Terms:
    """The terms an index was built with (none for an index built without terms files)."""
    recorded = manifest.get("terms") or {}
    key = recorded.get("checksum", "")
    if not key:
        return NO_TERMS
    if key not in _recorded:
        if len(_recorded) >= _RECORDED_MAX:
            _recorded.pop(next(iter(_recorded)))
        _recorded[key] = Terms(
            tuple(recorded.get("words", ())), tuple(tuple(g) for g in recorded.get("synonyms", ())), key
        )
    return _recorded[key]


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = (_COMMENT.sub("", line).strip() for line in path.read_text(encoding="utf-8-sig").splitlines())
    return [line for line in lines if line]


def terms_checksum(corpus_dir: Path) -> bytes:
    """Digest of the terms files as they are on disk (empty when there are none)."""
    digest = hashlib.sha256()
    found = False
    for name in TERMS_FILES:
        path = corpus_dir / name
        if path.is_file():
            found = True
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.digest() if found else b""


def read_terms(corpus_dir: Path) -> Terms:
    """The terms files of a corpus folder (no files: no terms)."""
    words = tuple(dict.fromkeys(_lines(corpus_dir / TERMS_FILE)))
    groups = []
    for line in _lines(corpus_dir / SYNONYMS_FILE):
        members = tuple(dict.fromkeys(m.strip() for m in _SEPARATORS.split(line) if m.strip()))
        if len(members) > 1:
            groups.append(members)
    return Terms(words, tuple(groups), terms_checksum(corpus_dir).hex())


def activate(terms: Terms) -> None:
    """Later `tokenize` calls in this context use `terms` (those of the index being searched);
    so do those of contexts that have not searched, until another index is searched."""
    global _latest
    _latest = terms
    if _active.get(None) is not terms:
        _active.set(terms)


def active_terms() -> Terms:
    return _active.get(_latest)
