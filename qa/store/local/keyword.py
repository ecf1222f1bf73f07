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
    def build(cls, texts: list[str]) -> KeywordIndex:
        return cls.build_from_tokens([tokenize(t) for t in texts])

    @classmethod
    def build_from_tokens(cls, token_lists: list[list[str]]) -> KeywordIndex:
        retriever = bm25s.BM25()
        # An empty document still needs one token so row numbers stay aligned with passages.
        retriever.index([tokens or [EMPTY_TOKEN] for tokens in token_lists] or [[EMPTY_TOKEN]], show_progress=False)
        return cls(retriever, len(token_lists))

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> KeywordIndex:
        retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(retriever, size)

    def search(
        self, queries: list[list[str]], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 top-k (scores, rows) per tokenised query, best first; zero scores become row -1.
        With `allowed` (a boolean mask over rows) only allowed rows compete, before top-k; their
        scores are those of the whole index (its statistics), masked.

        Only passages that contain a query token can score above zero, so the scores are summed
        over the query tokens' postings and ranked among those candidates (argpartition):
        linear in the postings, not in the number of passages.
        """
        scores = np.zeros((len(queries), k), dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for i, tokens in enumerate(queries):
            known = [t for t in tokens if t in self.retriever.vocab_dict]
            if not known or self.size == 0 or k <= 0:
                continue
            candidates, totals = self._candidate_scores(known)
            if allowed is not None:
                keep = allowed[candidates]
                candidates, totals = candidates[keep], totals[keep]
            top = min(k, len(candidates))
            if top == 0:
                continue
            best = np.argpartition(-totals, top - 1)[:top] if top < len(totals) else np.arange(len(totals))
            # Best first; equal scores in row order, so results do not depend on the partition.
            best = best[np.lexsort((candidates[best], -totals[best]))]
            best = best[totals[best] > 0]
            scores[i, : len(best)] = totals[best]
            rows[i, : len(best)] = candidates[best]
        return scores, rows

    def _candidate_scores(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, summed BM25 scores) of the passages containing any of `tokens`."""
        if getattr(self.retriever, "nonoccurrence_array", None) is not None:
            # BM25L/BM25+ give every passage a score: rank them all.
            totals = np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
            return np.arange(len(totals), dtype=np.int64), totals
        matrix = self.retriever.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        ids = self.retriever.get_tokens_ids(tokens)
        spans = [(int(indptr[t]), int(indptr[t + 1])) for t in ids]
        rows = np.concatenate([indices[a:b] for a, b in spans]).astype(np.int64, copy=False)
        values = np.concatenate([data[a:b] for a, b in spans])
        if len(spans) == 1:  # one posting list: each passage at most once
            return rows, values.astype(np.float32, copy=False)
        # Each posting list is in row order, so a stable (merging) sort of the concatenation
        # costs little more than a copy; equal rows are then adjacent and summed per run.
        order = np.argsort(rows, kind="stable")
        rows, values = rows[order], values[order]
        starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        return rows[starts], np.add.reduceat(values, starts).astype(np.float32, copy=False)

    def doc_freq(self, tokens: list[str]) -> np.ndarray:
        """Number of passages containing each token (0 when unknown)."""
        indptr = np.asarray(self.retriever.scores["indptr"])
        vocab = self.retriever.vocab_dict
        ids = np.array([vocab.get(t, -1) for t in tokens], dtype=np.int64)
        known = (ids >= 0) & (ids + 1 < len(indptr))
        out = np.zeros(len(tokens), dtype=np.int64)
        out[known] = indptr[ids[known] + 1] - indptr[ids[known]]
        return out

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (zeros when no query token is in the vocabulary)."""
        tokens = [t for t in tokenize(query) if t in self.retriever.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
