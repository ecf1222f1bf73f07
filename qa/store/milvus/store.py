"""The Milvus `PassageStore`: passages, vectors, sentences and keyword search all in Milvus.

A `qa serve` replica on this store holds no index files: it resolves the live version from the
`CURRENT` row of `<collection>_meta` (written last by `qa build`, see qa.store.milvus.write),
reads that version's manifest from Milvus to check freshness (qa.store.milvus.load), and then
answers every call with Milvus queries. Records of a version never change, so they are cached per store. A failed call
raises StoreUnavailable (→ 503) and the next call reconnects; no call waits longer than
QA_MILVUS_TIMEOUT_SECONDS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from qa.corpus.models import Passage
from qa.store.base import VersionedStore
from qa.store.filters import DocFilter
from qa.store.milvus.cache import LRU, page_rows
from qa.store.milvus.client import MilvusConnection, collection_set
from qa.store.milvus.filter_expr import filter_expr, literal

MAX_QUERY = 16384  # Milvus' cap on limit (and offset + limit) of one query or search
RECORD_CACHE = 20000
VOCAB_CACHE = 200000
SENTENCE_ROWS = 500  # passages per sentence query
RECORD_FIELDS = ["record", "partners"]


class MilvusStore(VersionedStore):
    """One index version in Milvus (see qa.store.base.PassageStore for the contract)."""

    def __init__(self, connection: MilvusConnection, collection: str, manifest: dict, documents: list[dict]) -> None:
        self.connection = connection
        self.collection = collection
        self._manifest = manifest
        self._documents = documents
        self._passages, self._sentences, self._vocab = collection_set(collection, manifest["version"])
        self._dim = int(manifest["dimension"])
        self._records = LRU(RECORD_CACHE)  # row → (Passage, partner rows)
        self._rows = LRU(RECORD_CACHE)  # passage_id → row
        self._sentence_cache = LRU(RECORD_CACHE)  # row → (spans, vectors)
        self._vocab_cache = LRU(VOCAB_CACHE)  # token → (sparse index, df), (-1, 0) if unknown
        self._doc_ids = {d["doc_id"] for d in documents}
        self._search_params = {"metric_type": "IP", "params": {}}

    @property
    def size(self) -> int:
        return int(self._manifest["passage_count"])

    def _call(self, what: str, fn):
        return self.connection.call(what, fn)

    # --- records -------------------------------------------------------------------------
    def _fetch(self, rows: Sequence[int]) -> None:
        """Load the records of `rows` not yet cached (one query)."""
        missing = sorted({int(r) for r in rows if 0 <= int(r) < self.size and self._records.get(int(r)) is None})
        for start in range(0, len(missing), MAX_QUERY):
            ids = missing[start : start + MAX_QUERY]
            found = self._call(
                "reading passages",
                lambda c, t, ids=ids: c.query(self._passages, ids=ids, output_fields=["record", "partners"], timeout=t),
            )
            for item in found:
                self._keep(item)

    def _keep(self, item: dict) -> None:
        passage = Passage.model_validate_json(item["record"])
        self._records.put(int(item["row"]), (passage, [int(p) for p in item["partners"]]))
        self._rows.put(passage.passage_id, int(item["row"]))

    def _record(self, row: int) -> tuple[Passage, list[int]]:
        row = int(row)
        record = self._records.get(row)
        if record is None:
            self._fetch([row])
            record = self._records.get(row)
        if record is None:
            raise IndexError(f"row {row} is not in index {self.version} (size {self.size})")
        return record

    def passage(self, row: int) -> Passage:
        return self._record(row)[0]

    def row_of(self, passage_id: str) -> int | None:
        row = self._rows.get(passage_id)
        if row is None:
            found = self._call(
                "finding a passage",
                lambda c, t: c.query(
                    self._passages, filter=f"pid == {literal(passage_id)}", output_fields=["row"], limit=1, timeout=t
                ),
            )
            if not found:
                return None
            row = int(found[0]["row"])
            self._rows.put(passage_id, row)
        return row

    def partner_rows(self, row: int) -> list[int]:
        return list(self._record(row)[1])

    def lang_of(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64).ravel()
        self._fetch(rows)  # caches whole records: the caller usually needs the passages next
        return np.asarray([self.passage(r).lang for r in rows], dtype=str)

    def list_passages(self, doc_id: str | None, lang: str | None, offset: int, limit: int) -> tuple[int, list[Passage]]:
        if doc_id is not None and doc_id not in self._doc_ids:
            return 0, []
        clauses = []
        if doc_id is not None:
            clauses.append(f"doc_id == {literal(doc_id)}")
        if lang is not None:
            clauses.append(f"lang == {literal(lang)}")
        expr = " and ".join(clauses)
        if not expr:
            total = self.size
            rows = list(range(offset, min(offset + limit, total)))
        else:
            total = int(
                self._call(
                    "counting passages",
                    lambda c, t: c.query(self._passages, filter=expr, output_fields=["count(*)"], timeout=t),
                )[0]["count(*)"]
            )
            rows = self._page(expr, offset, limit) if offset < total else []
        self._fetch(rows)
        return total, [self.passage(r) for r in rows]

    def _page(self, expr: str, offset: int, limit: int) -> list[int]:
        """Rows `offset`..`offset+limit` (by row order) of those matching `expr`."""
        return self._call(
            "listing passages", lambda c, t: page_rows(c, t, self._passages, expr, offset, limit, MAX_QUERY)
        )

    def documents(self) -> list[dict]:
        return self._documents

    # --- dense ---------------------------------------------------------------------------
    def dense_search(
        self, queries: np.ndarray, k: int, lang: str | None = None, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self._dim)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)  # as the local store
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        limit = min(k, self.size, MAX_QUERY)
        if limit <= 0 or not len(queries):
            return scores, rows
        expr = filter_expr(doc_filter, lang)  # applied by Milvus during the search, before top-k
        kwargs = {"filter": expr} if expr else {}
        params = dict(self._search_params)
        if self._manifest.get("index_kind") == "HNSW":
            params["params"] = {"ef": max(64, limit)}
        found = self._call(
            "dense search",
            lambda c, t: c.search(
                self._passages,
                data=list(queries),
                anns_field="dense",
                limit=limit,
                search_params=params,
                output_fields=RECORD_FIELDS,
                timeout=t,
                **kwargs,
            ),
        )
        return self._collect(found, scores, rows)

    def _collect(self, found, scores: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fill (scores, rows) from search hits, caching the records that came along: the engine
        reads the passages and translations of its candidates next, and gets them without a call."""
        for i, hits in enumerate(found):
            for j, hit in enumerate(hits):
                scores[i, j] = hit["distance"]
                rows[i, j] = hit["id"]
                entity = hit.get("entity") or {}
                if "record" in entity and self._records.get(int(hit["id"])) is None:
                    self._keep({"row": hit["id"], **entity})
        return scores, rows

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        rows = [int(r) for r in rows]
        out = np.zeros((len(rows), self._dim), dtype=np.float32)
        wanted = sorted(set(rows))
        by_row = {}
        for start in range(0, len(wanted), MAX_QUERY):
            ids = wanted[start : start + MAX_QUERY]
            for item in self._call(
                "reading vectors",
                lambda c, t, ids=ids: c.query(self._passages, ids=ids, output_fields=["dense"], timeout=t),
            ):
                by_row[int(item["row"])] = item["dense"]
        for i, row in enumerate(rows):
            if row not in by_row:
                raise IndexError(f"row {row} is not in index {self.version} (size {self.size})")
            out[i] = by_row[row]
        return out

    def sentences(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        cached = self._sentence_cache.get(int(row))
        if cached is None:
            self._fetch_sentences([int(row)])
            cached = self._sentence_cache.get(int(row))
        return cached

    def sentence_vectors_of(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        rows = [int(r) for r in rows]
        self._fetch_sentences(rows)  # one query for all uncached candidates
        parts = [self.sentences(r)[1] for r in rows]
        owners = np.repeat(np.arange(len(rows)), [len(p) for p in parts])
        vectors = np.concatenate(parts) if parts else np.zeros((0, self._dim), np.float32)
        return vectors.reshape(-1, self._dim), owners

    def _fetch_sentences(self, rows: Sequence[int]) -> None:
        """Sentences of the uncached `rows`, a few hundred passages per query."""
        missing = sorted({int(r) for r in rows if self._sentence_cache.get(int(r)) is None})
        for start in range(0, len(missing), SENTENCE_ROWS):
            part = missing[start : start + SENTENCE_ROWS]
            found = self._call(
                "reading sentences",
                lambda c, t, part=part: c.query(
                    self._sentences,
                    filter=f"row in {part}",
                    limit=MAX_QUERY,
                    timeout=t,
                    output_fields=["sid", "row", "span_start", "span_end", "vector"],
                ),
            )
            if len(found) >= MAX_QUERY and len(part) > 1:  # cut off: passages with very many sentences
                for row in part:
                    self._fetch_sentences([row])
                continue
            by_row: dict[int, list] = {row: [] for row in part}
            for item in found:
                by_row[int(item["row"])].append(item)
            for row, items in by_row.items():
                items.sort(key=lambda item: int(item["sid"]))
                spans = np.asarray([[i["span_start"], i["span_end"]] for i in items], dtype=np.int32)
                vectors = np.asarray([i["vector"] for i in items], dtype=np.float32)
                self._sentence_cache.put(row, (spans.reshape(-1, 2), vectors.reshape(-1, self._dim)))

    # --- keyword -------------------------------------------------------------------------
    def _vocabulary(self, tokens: set[str]) -> dict[str, tuple[int, int]]:
        """token → (sparse index, document frequency) for the known ones among `tokens`; cached,
        unknown tokens too (as (-1, 0)), so frequent query words cost no call."""
        asked = sorted(t for t in tokens if self._vocab_cache.get(t) is None)
        for start in range(0, len(asked), MAX_QUERY):
            part = asked[start : start + MAX_QUERY]
            found = {
                item["token"]: (int(item["tid"]), int(item["df"]))
                for item in self._call(
                    "reading the keyword vocabulary",
                    lambda c, t, part=part: c.query(self._vocab, ids=part, output_fields=["tid", "df"], timeout=t),
                )
            }
            for token in part:
                self._vocab_cache.put(token, found.get(token, (-1, 0)))
        out = {t: self._vocab_cache.get(t) for t in tokens}
        return {t: v for t, v in out.items() if v is not None and v[0] >= 0}

    def keyword_search(
        self, queries: Sequence[Sequence[str]], k: int, doc_filter: DocFilter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = np.zeros((len(queries), k), dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        limit = min(k, self.size, MAX_QUERY)
        vocab = self._vocabulary({t for q in queries for t in q})
        # bm25s sums a token's weight once per occurrence in the query: weight = count.
        sparse = [{vocab[t][0]: float(n) for t, n in Counter(t for t in q if t in vocab).items()} for q in queries]
        asked = [i for i, vec in enumerate(sparse) if vec]
        if limit <= 0 or not asked:
            return scores, rows
        expr = filter_expr(doc_filter)
        kwargs = {"filter": expr} if expr else {}
        found = self._call(
            "keyword search",
            lambda c, t: c.search(
                self._passages,
                data=[sparse[i] for i in asked],
                anns_field="keywords",
                limit=limit,
                search_params={"metric_type": "IP", "params": {}},
                output_fields=RECORD_FIELDS,
                timeout=t,
                **kwargs,
            ),
        )
        hits = [[]] * len(queries)
        for i, found_i in zip(asked, found):
            hits[i] = [h for h in found_i if h["distance"] > 0]
        return self._collect(hits, scores, rows)

    def doc_freq(self, tokens: Sequence[str]) -> np.ndarray:
        vocab = self._vocabulary(set(tokens))
        return np.asarray([vocab.get(t, (0, 0))[1] for t in tokens], dtype=np.int64)

    def engine_keyword_search(self, texts: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Milvus' own BM25 (chinese analyzer) on raw query texts; only on versions written with
        engine_bm25=True. For the comparison with keyword_search (qa.bench.milvus)."""
        scores = np.zeros((len(texts), k), dtype=np.float32)
        rows = np.full((len(texts), k), -1, dtype=np.int64)
        found = self._call(
            "engine BM25 search",
            lambda c, t: c.search(
                self._passages,
                data=list(texts),
                anns_field="bm25",
                limit=min(k, self.size),
                search_params={"metric_type": "BM25", "params": {}},
                output_fields=[],
                timeout=t,
            ),
        )
        for i, hits in enumerate(found):
            for j, hit in enumerate(hits):
                scores[i, j] = hit["distance"]
                rows[i, j] = hit["id"]
        return scores, rows


__all__ = ["MAX_QUERY", "MilvusStore", "literal"]
