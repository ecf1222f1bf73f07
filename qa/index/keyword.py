"""BM25 keyword index that understands Chinese (jieba) and English (Snowball stemming).

Dense models blur numbers, years and names ("2060", "1+N", "CCER", "全国碳市场"); exact
tokens match them. One index covers both languages: digits and Latin acronyms inside Chinese
text match English queries too.
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from qa.text import tokenize


class KeywordIndex:
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self.retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "KeywordIndex":
        retriever = bm25s.BM25()
        # An empty document still needs one token so row numbers stay aligned with passages.
        retriever.index([tokenize(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "KeywordIndex":
        retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(retriever, size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (zeros when no query token is in the vocabulary)."""
        tokens = [t for t in tokenize(query) if t in self.retriever.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
