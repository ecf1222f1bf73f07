"""Opening a Milvus index version: the live one named by the `CURRENT` row, its manifest and
document list read from `<collection>_meta`, and its freshness checked before any query.

The twin of qa.store.local.load; the store it returns (qa.store.milvus.store) answers the queries.
"""

from __future__ import annotations

import json

from qa.store.base import StoreCorrupt, StoreMissing, StoreStale
from qa.store.format import stale_components
from qa.store.milvus.client import META_SUFFIX, MilvusConnection, collection_set
from qa.store.milvus.store import MAX_QUERY, MilvusStore, literal
from qa.store.milvus.write import current_version


def _read_blob(client, meta: str, version: str, kind: str, timeout: int) -> str | None:
    rows = client.query(
        meta,
        filter=f"version == {literal(version)} and kind == {literal(kind)}",
        output_fields=["chunk", "text"],
        limit=MAX_QUERY,
        timeout=timeout,
    )
    if not rows:
        return None
    return "".join(r["text"] for r in sorted(rows, key=lambda r: r["chunk"]))


def live_milvus_version(connection: MilvusConnection, collection: str) -> str | None:
    """Name of the live version (the CURRENT row), None when nothing was ever built. Cheap: for
    reload polling."""

    def read(client, timeout):
        if not client.has_collection(collection + META_SUFFIX, timeout=timeout):
            return None
        client.load_collection(collection + META_SUFFIX, timeout=timeout)
        return current_version(client, collection, timeout)

    return connection.call("reading the live version", read)


def open_milvus_store(settings, version: str | None = None, connection: MilvusConnection | None = None) -> MilvusStore:
    """Open the live version (or `version`) of QA_MILVUS_COLLECTION at QA_MILVUS_URI.

    Raises StoreUnavailable (server unreachable, naming the uri), StoreMissing (nothing built),
    StoreStale (written by other rules) or StoreCorrupt (a collection of the set is gone)."""
    connection = connection or MilvusConnection(
        settings.milvus_uri, settings.milvus_token, settings.milvus_timeout_seconds
    )
    collection = settings.milvus_collection
    version = version or live_milvus_version(connection, collection)
    where = f"Milvus at {connection.uri}, collection {collection}"
    if version is None:
        raise StoreMissing(f"no index in {where}: run `qa build` with QA_VECTOR_STORE=milvus")

    def read(client, timeout):
        meta = collection + META_SUFFIX
        manifest = _read_blob(client, meta, version, "manifest", timeout)
        documents = _read_blob(client, meta, version, "documents", timeout)
        if manifest is None or documents is None:
            raise StoreCorrupt(f"{where}: version {version} has no manifest: run `qa build`")
        manifest = json.loads(manifest)
        stale = stale_components(manifest)
        if stale:
            raise StoreStale(
                f"{where}: version {version} was written by other rules ({', '.join(stale)}): run `qa build`"
            )
        for name in collection_set(collection, version):
            if not client.has_collection(name, timeout=timeout):
                raise StoreCorrupt(f"{where}: collection {name} of version {version} is missing: run `qa build`")
            client.load_collection(name, timeout=timeout)
        return manifest, json.loads(documents)

    manifest, documents = connection.call(f"opening version {version}", read)
    return MilvusStore(connection, collection, manifest, documents)


__all__ = ["live_milvus_version", "open_milvus_store"]
