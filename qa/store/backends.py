"""Which store backs the service: open the live index, or write a new version, per settings.

`QA_VECTOR_STORE=faiss` (the default) keeps versioned FAISS + bm25s folders under
`QA_INDEX_DIR`; `QA_VECTOR_STORE=milvus` keeps everything in Milvus (qa.store.milvus), so
`qa serve` replicas need no index files. Other backends plug in here and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.corpus.store import corpus_checksum, document_files
from qa.settings import Settings
from qa.store.base import IndexData, PassageStore, StoreError, StoreStale
from qa.store.local.load import CURRENT, load_index
from qa.store.local.write import build_lock, write_local_version

if TYPE_CHECKING:
    from qa.store.milvus.client import MilvusConnection

# One Milvus connection per server and credentials, shared by opens and polls.
_connections: dict[tuple[str, str, float], MilvusConnection] = {}


def open_store(settings: Settings, model_id: str | None = None, check_corpus: bool = True) -> PassageStore:
    """The live index version; with `model_id`, refused as stale when built otherwise."""
    if settings.vector_store == "milvus":
        return _open_milvus(settings, model_id, check_corpus)
    corpus = settings.corpus_dir if check_corpus and model_id is not None else None
    return load_index(settings.index_dir, corpus, model_id)


def write_store(settings: Settings, data: IndexData) -> str:
    """Write `data` as a new version, switch to it atomically and return its name."""
    if settings.vector_store == "milvus":
        from qa.store.milvus.write import write_milvus_version  # pymilvus: optional, only when configured

        return write_milvus_version(
            _milvus_connection(settings),
            data,
            collection=settings.milvus_collection,
            index_type=settings.milvus_index_type,
        )
    with build_lock(settings.index_dir):
        return write_local_version(settings.index_dir, data).name


def live_version_name(settings: Settings) -> str | None:
    """Name of the version a fresh open would serve (cheap: polled by running servers)."""
    if settings.vector_store == "milvus":
        from qa.store.milvus.load import live_milvus_version  # pymilvus: optional, only when configured

        try:
            return live_milvus_version(_milvus_connection(settings), settings.milvus_collection)
        except StoreError:  # unreachable for now: keep serving, look again at the next poll
            return None
    try:
        return (settings.index_dir / CURRENT).read_text().strip() or None
    except OSError:
        return None


def _milvus_connection(settings: Settings) -> MilvusConnection:
    from qa.store.milvus.client import MilvusConnection  # pymilvus: optional, only when configured

    key = (settings.milvus_uri, settings.milvus_token, settings.milvus_timeout_seconds)
    if key not in _connections:
        _connections[key] = MilvusConnection(*key)
    return _connections[key]


def _open_milvus(settings: Settings, model_id: str | None, check_corpus: bool) -> PassageStore:
    """Open the live Milvus version. Replicas need no corpus: the corpus checksum is compared only
    where the corpus folder exists (the builder's machine); the model must always match."""
    from qa.store.milvus.load import open_milvus_store  # pymilvus: optional, only when configured

    store = open_milvus_store(settings, connection=_milvus_connection(settings))
    where = f"Milvus index {settings.milvus_collection} at {settings.milvus_uri}"
    if model_id is not None and store.manifest.get("model_id") != model_id:
        raise StoreStale(
            f"{where} was built with model {store.manifest.get('model_id')}, but QA_MODEL "
            f"gives {model_id}: run `qa build`"
        )
    if (
        check_corpus
        and model_id is not None
        and settings.corpus_dir.is_dir()
        and document_files(settings.corpus_dir)
        and store.manifest.get("corpus_checksum") != corpus_checksum(settings.corpus_dir)
    ):
        raise StoreStale(f"the corpus in {settings.corpus_dir} changed since {where} was built: run `qa build`")
    return store
