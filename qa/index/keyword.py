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

EMPTY_TOKEN = "\u2205"  # stands in for a passage with no tokens


class KeywordIndex:
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self.retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "KeywordIndex":
        return cls.build_from_tokens([tokenize(t) for t in texts])

    @classmethod
    def build_from_tokens(cls, token_lists: list[list[str]]) -> "KeywordIndex":
        retriever = bm25s.BM25()
        # An empty document still needs one token so row numbers stay aligned with passages.
        retriever.index([tokens or [EMPTY_TOKEN] for tokens in token_lists] or [[EMPTY_TOKEN]],
                        show_progress=False)
        return cls(retriever, len(token_lists))

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "KeywordIndex":
        retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(retriever, size)

    def search(self, queries: list[list[str]], k: int) -> tuple[np.ndarray, np.ndarray]:
        """BM25 top-k (scores, rows) per tokenised query, best first; zero scores become row -1.

        argpartition keeps this linear in the number of passages instead of sorting them all.
        """
        scores = np.zeros((len(queries), k), dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for i, tokens in enumerate(queries):
            known = [t for t in tokens if t in self.retriever.vocab_dict]
            if not known or self.size == 0:
                continue
            all_scores = np.asarray(self.retriever.get_scores(known), dtype=np.float32)
            top = min(k, len(all_scores))
            best = np.argpartition(-all_scores, top - 1)[:top]
            best = best[np.argsort(-all_scores[best], kind="stable")]
            best = best[all_scores[best] > 0]
            scores[i, :len(best)] = all_scores[best]
            rows[i, :len(best)] = best
        return scores, rows

    def doc_freq(self, tokens: list[str]) -> np.ndarray:
        """Number of passages containing each token (0 when unknown)."""
        indptr = np.asarray(self.retriever.scores["indptr"])
        vocab = self.retriever.vocab_dict
        out = np.zeros(len(tokens), dtype=np.int64)
        for i, token in enumerate(tokens):
            tid = vocab.get(token)
            if tid is not None and tid + 1 < len(indptr):
                out[i] = int(indptr[tid + 1] - indptr[tid])
        return out

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (zeros when no query token is in the vocabulary)."""
        tokens = [t for t in tokenize(query) if t in self.retriever.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
