"""Write one index version into Milvus and make it live atomically.

One version = one collection set named `<collection>_<version>`:
    <collection>_<version>            passages: row (primary key), passage record, lang, doc_id,
                                      metadata (JSON `meta`, for filters),
                                      dense vector (IP), BM25 keyword weights (sparse, IP)
    <collection>_<version>_sentences  sentence spans and vectors, by passage row
    <collection>_<version>_vocab      keyword vocabulary: token → sparse index, document frequency
and the shared `<collection>_meta` holds each version's manifest and document summaries plus the
`CURRENT` row naming the live version. A build writes and verifies the whole set, then switches
`CURRENT` (one upsert: the counterpart of index/CURRENT) and the alias `<collection>` (where the
server has aliases; the embedded engine does not), so a build that dies midway leaves readers
on the previous version. Older versions are pruned: the live one and its predecessor are kept
(as KEEP_VERSIONS = 2 folders in the local store).

Keyword search: the doc-side weights are exactly bm25s' (Lucene BM25, k1=1.5, b=0.75, computed by
bm25s itself over the same qa.text.tokenize tokens as the FAISS path) stored as sparse vectors;
a query is its token counts, and the inner product is bm25s' score. Milvus' own BM25 Function
(chinese analyzer) was measured against it (docs/deployment.md) and is available with
`engine_bm25=True` for comparison.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime

import bm25s
import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient

from qa.settings import Settings
from qa.store.base import IndexData, StoreCorrupt, document_summaries
from qa.store.format import component_versions
from qa.store.milvus.client import (
    META_SUFFIX,
    POINTER_KEY,
    SENTENCES_SUFFIX,
    VOCAB_SUFFIX,
    MilvusConnection,
    collection_set,
    passages_name,
)
from qa.store.milvus.filter_expr import stored_meta

log = logging.getLogger(__name__)

MAX_TEXT = 65535  # Milvus VARCHAR limit
CHUNK_CHARS = 16000  # a blob chunk stays under MAX_TEXT bytes even in 4-byte UTF-8
BATCH_BYTES = 4 << 20  # per insert request, well under the server's gRPC message limit
EMPTY_TOKEN = "\u2205"  # as qa.store.local.keyword: an empty passage still has a length of one


# --- schemas ---------------------------------------------------------------------------------
def _dummy_vector(schema) -> None:
    # Milvus requires a vector field in every collection; tiny tables carry a 2-d placeholder.
    schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)


def _vector_index(params, field: str, index_type: str) -> None:
    extra = {"M": 16, "efConstruction": 200} if index_type == "HNSW" else {}
    extra = {"nlist": 1024} if index_type == "IVF_FLAT" else extra
    params.add_index(field, index_type=index_type, metric_type="IP", params=extra)


def _create_passages(
    client: MilvusClient, name: str, dim: int, index_type: str, engine_bm25: bool, timeout: int
) -> None:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("pid", DataType.VARCHAR, max_length=MAX_TEXT)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=MAX_TEXT)
    schema.add_field("lang", DataType.VARCHAR, max_length=8)
    schema.add_field("record", DataType.VARCHAR, max_length=MAX_TEXT)
    # Partner rows as JSON, not ARRAY: the embedded engine fails any empty query on an ARRAY field.
    schema.add_field("partners", DataType.JSON)
    schema.add_field("meta", DataType.JSON)  # the document's metadata, for filters (filter_expr)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("keywords", DataType.SPARSE_FLOAT_VECTOR)
    params = client.prepare_index_params()
    for field in ("pid", "doc_id", "lang"):
        params.add_index(field, index_type="INVERTED")
    _vector_index(params, "dense", index_type)
    params.add_index("keywords", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    if engine_bm25:
        schema.add_field(
            "text", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True, analyzer_params={"type": "chinese"}
        )
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["bm25"]
            )
        )
        params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection(name, schema=schema, index_params=params, timeout=timeout)


def _create_sentences(client: MilvusClient, name: str, dim: int, timeout: int) -> None:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("sid", DataType.INT64, is_primary=True)
    schema.add_field("row", DataType.INT64)
    schema.add_field("span_start", DataType.INT64)
    schema.add_field("span_end", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    params.add_index("row", index_type="INVERTED")
    # Sentence vectors are read by passage row, never searched: FLAT costs no build time. On a
    # cluster, enable mmap on this collection so they stay on the query nodes' disks.
    params.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=params, timeout=timeout)


def _create_table(
    client: MilvusClient, name: str, key: str, fields: list[tuple[str, DataType, dict]], timeout: int
) -> None:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field(key, DataType.VARCHAR, is_primary=True, max_length=MAX_TEXT)
    for field, dtype, extra in fields:
        schema.add_field(field, dtype, **extra)
    _dummy_vector(schema)
    params = client.prepare_index_params()
    params.add_index("_v", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=params, timeout=timeout)


def ensure_meta(client: MilvusClient, collection: str, timeout: int) -> str:
    name = collection + META_SUFFIX
    if not client.has_collection(name, timeout=timeout):
        _create_table(
            client,
            name,
            "key",
            [
                ("version", DataType.VARCHAR, {"max_length": 256}),
                ("kind", DataType.VARCHAR, {"max_length": 64}),
                ("chunk", DataType.INT64, {}),
                ("text", DataType.VARCHAR, {"max_length": MAX_TEXT}),
            ],
            timeout,
        )
    client.load_collection(name, timeout=timeout)
    return name


# --- data ------------------------------------------------------------------------------------
def keyword_weights(tokens: list[list[str]]) -> tuple[list[dict[int, float]], dict[str, int], np.ndarray]:
    """(per passage {token column: BM25 weight}, token → column, document frequency per column),
    computed by bm25s itself so the weights are the FAISS path's to the bit."""
    retriever = bm25s.BM25()
    retriever.index([t or [EMPTY_TOKEN] for t in tokens], show_progress=False)
    s = retriever.scores  # token-major (CSC): for column c, docs indices[indptr[c]:indptr[c+1]]
    indptr = np.asarray(s["indptr"])
    docs = np.asarray(s["indices"])
    columns = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    order = np.lexsort((columns, docs))  # regroup passage-major
    bounds = np.searchsorted(docs[order], np.arange(int(s["num_docs"]) + 1))
    weights = [
        dict(zip(columns[order[a:b]].tolist(), np.asarray(s["data"])[order[a:b]].tolist()))
        for a, b in zip(bounds[:-1], bounds[1:])
    ]
    vocab = {t: i for t, i in retriever.vocab_dict.items() if t}
    return weights, vocab, np.diff(indptr).astype(np.int64)


def _batches(rows, size_of):
    batch, used = [], 0
    for row in rows:
        batch.append(row)
        used += size_of(row)
        if used >= BATCH_BYTES:
            yield batch
            batch, used = [], 0
    if batch:
        yield batch


def _insert(client: MilvusClient, name: str, rows, size_of, timeout: int) -> None:
    for batch in _batches(rows, size_of):
        client.insert(name, batch, timeout=timeout)


def _passage_rows(data: IndexData, weights: list[dict[int, float]], engine_bm25: bool):
    row_of = {p.passage_id: i for i, p in enumerate(data.passages)}
    for i, passage in enumerate(data.passages):
        record = passage.model_dump_json()
        if len(record.encode()) > MAX_TEXT:
            raise ValueError(
                f"passage {passage.passage_id} is too long for Milvus "
                f"({len(record.encode())} bytes as JSON, limit {MAX_TEXT})"
            )
        row = {
            "row": i,
            "pid": passage.passage_id,
            "doc_id": passage.doc_id,
            "lang": passage.lang,
            "record": record,
            "partners": [row_of[t.passage_id] for t in passage.translations if t.passage_id in row_of],
            "meta": stored_meta(passage.metadata),
            "dense": np.asarray(data.vectors[i], dtype=np.float32),
            "keywords": weights[i],
        }
        if engine_bm25:
            row["text"] = passage.text
        yield row


def _blob_rows(version: str, kind: str, text: str):
    for n, start in enumerate(range(0, max(len(text), 1), CHUNK_CHARS)):
        yield {
            "key": f"{version}/{kind}/{n}",
            "version": version,
            "kind": kind,
            "chunk": n,
            "text": text[start : start + CHUNK_CHARS],
            "_v": [0.0, 0.0],
        }


def version_name(manifest: dict) -> str:
    """A collection-name-safe version: the manifest's own if it has one, else a new timestamp."""
    name = manifest.get("version") or f"v{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _count(client: MilvusClient, name: str, timeout: int) -> int:
    return int(client.query(name, filter="", output_fields=["count(*)"], timeout=timeout)[0]["count(*)"])


# --- the build -------------------------------------------------------------------------------
def write_milvus_version(
    target, data: IndexData, *, collection: str | None = None, index_type: str | None = None, engine_bm25: bool = False
) -> str:
    """Write `data` as a new version, verify it, make it live, prune old ones; return its name.

    `target` is a Settings (QA_MILVUS_*) or a MilvusConnection (then give `collection`)."""
    if isinstance(target, MilvusConnection):
        connection = target
    else:
        connection = MilvusConnection(target.milvus_uri, target.milvus_token, target.milvus_timeout_seconds)
        collection = collection or target.milvus_collection
        index_type = index_type or target.milvus_index_type
    collection = collection or Settings.model_fields["milvus_collection"].default
    index_type = index_type or Settings.model_fields["milvus_index_type"].default
    version = version_name(data.manifest)
    passages, sentences, vocab_name = collection_set(collection, version)
    dim = int(data.vectors.shape[1])
    weights, vocab, df = keyword_weights(data.keyword_tokens)
    manifest = {
        **data.manifest,
        "version": version,
        "store": "milvus",
        "collection": collection,
        "versions": data.manifest.get("versions") or component_versions(),
        "dimension": dim,
        "passage_count": len(data.passages),
        "sentence_count": len(data.sentence_spans),
        "vocabulary_size": len(vocab),
        "index_kind": index_type,
        "keyword": {"scoring": "bm25s lucene", "k1": 1.5, "b": 0.75, "engine_bm25": engine_bm25},
    }

    def build(client: MilvusClient, timeout: int) -> None:
        meta = ensure_meta(client, collection, timeout)
        _create_passages(client, passages, dim, index_type, engine_bm25, timeout)
        _create_sentences(client, sentences, dim, timeout)
        _create_table(client, vocab_name, "token", [("tid", DataType.INT64, {}), ("df", DataType.INT64, {})], timeout)
        _insert(
            client,
            passages,
            _passage_rows(data, weights, engine_bm25),
            lambda r: 4 * dim + 12 * len(r["keywords"]) + len(r["record"]) * 2,
            timeout,
        )
        spans = np.asarray(data.sentence_spans).reshape(-1, 3)
        _insert(
            client,
            sentences,
            (
                {
                    "sid": i,
                    "row": int(r),
                    "span_start": int(s),
                    "span_end": int(e),
                    "vector": np.asarray(data.sentence_vectors[i], dtype=np.float32),
                }
                for i, (r, s, e) in enumerate(spans)
            ),
            lambda r: 4 * dim + 32,
            timeout,
        )
        _insert(
            client,
            vocab_name,
            ({"token": t, "tid": i, "df": int(df[i]), "_v": [0.0, 0.0]} for t, i in vocab.items()),
            lambda r: 48 + len(r["token"]) * 3,
            timeout,
        )
        _insert(
            client,
            meta,
            [
                *_blob_rows(version, "manifest", json.dumps(manifest, ensure_ascii=False)),
                *_blob_rows(version, "documents", json.dumps(document_summaries(data), ensure_ascii=False)),
            ],
            lambda r: len(r["text"]) * 3,
            timeout,
        )
        for name in (passages, sentences, vocab_name, meta):
            client.flush(name, timeout=timeout)
        expected = {passages: len(data.passages), sentences: len(spans), vocab_name: len(vocab)}
        for name, count in expected.items():
            client.load_collection(name, timeout=timeout)
            if _count(client, name, timeout) != count:
                raise StoreCorrupt(
                    f"Milvus collection {name} holds {_count(client, name, timeout)} rows, "
                    f"expected {count}: the version was not made live"
                )
        previous = current_version(client, collection, timeout)
        # The switch: one upsert of the CURRENT row; readers opening after it see the new set.
        client.upsert(
            meta,
            [
                {
                    "key": POINTER_KEY,
                    "version": version,
                    "kind": "pointer",
                    "chunk": 0,
                    "text": version,
                    "_v": [0.0, 0.0],
                }
            ],
            timeout=timeout,
        )
        client.flush(meta, timeout=timeout)
        _switch_alias(client, collection, passages, timeout)
        _prune(client, collection, meta, keep={version, previous}, newest=version, timeout=timeout)

    connection.call(f"writing index version {version}", build)
    log.info("milvus: version %s live in %s (%d passages)", version, connection.uri, len(data.passages))
    return version


def current_version(client: MilvusClient, collection: str, timeout: int) -> str | None:
    rows = client.query(collection + META_SUFFIX, ids=[POINTER_KEY], output_fields=["text"], timeout=timeout)
    return rows[0]["text"] if rows else None


def _switch_alias(client: MilvusClient, collection: str, passages: str, timeout: int) -> None:
    """Point the alias `<collection>` at the new passages collection, for operators and tools that
    query by alias. The embedded engine has no aliases (UNIMPLEMENTED); CURRENT is what `qa` reads."""
    try:
        if collection in client.list_aliases(timeout=timeout).get("aliases", []):
            client.alter_alias(passages, collection, timeout=timeout)
        else:
            client.create_alias(passages, collection, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - optional on servers without aliases
        log.debug("milvus: alias %s not switched (%s)", collection, exc)


def _prune(client: MilvusClient, collection: str, meta: str, keep: set, newest: str, timeout: int) -> None:
    """Drop versions older than `newest` except those in `keep` (also the leftovers of builds that
    died midway). Newer ones may be a concurrent build in progress and are left alone."""
    pattern = re.compile(rf"{re.escape(collection)}_(v\d{{8}}T\d{{6}}\w*?)({SENTENCES_SUFFIX}|{VOCAB_SUFFIX})?")
    versions = {m.group(1) for m in map(pattern.fullmatch, client.list_collections(timeout=timeout)) if m}
    for old in sorted(versions):
        if old in keep or old >= newest:
            continue
        for name in collection_set(collection, old):
            if client.has_collection(name, timeout=timeout):
                client.drop_collection(name, timeout=timeout)
        client.delete(meta, filter=f"version == {json.dumps(old)}", timeout=timeout)
        log.info("milvus: pruned version %s", old)


__all__ = ["write_milvus_version", "keyword_weights", "current_version", "ensure_meta", "passages_name"]
