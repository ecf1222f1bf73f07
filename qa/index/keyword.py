"""BM25 keyword index that understands Chinese (jieba) and English (Snowball stemming).

Dense models blur numbers, years and names ("2060", "1+N", "CCER", "全国碳市场"); exact
tokens match them. One index covers both languages: digits and Latin acronyms inside Chinese
text match English queries too.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import jieba
import numpy as np
import Stemmer

jieba.setLogLevel(logging.WARNING)

_TOKEN = re.compile(r"\d+\+[A-Za-z]+|\d+(?:[.,]\d+)*%?|[A-Za-z][A-Za-z'’-]*|[\u3400-\u9fff\uf900-\ufaff]+")
_EN_STOP = frozenset(
    "a an and are as at be been by did do does for from had has have how in into is it its "
    "of on or over that the their there these this to was were what when where which who why "
    "will with much many does china china's chinese".split()
)
_ZH_STOP = frozenset("的 了 是 在 和 与 及 等 对 为 中 有 也 并 将 已 把 被 多少 什么 哪些 哪 如何 怎么 吗 呢 是否 年 个".split())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for piece in _TOKEN.findall(text):
        first = piece[0]
        if first.isdigit():
            tokens.append(piece.rstrip("%").replace(",", "").lower())
        elif first.isascii():
            word = piece.lower().replace("’", "'")
            if word not in _EN_STOP and len(word) > 1:
                tokens.append(_stemmer().stemWord(word))
        else:
            tokens.extend(w for w in jieba.cut_for_search(piece) if w not in _ZH_STOP)
    return tokens


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
