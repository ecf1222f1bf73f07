"""Which store backs the service: open the live index, or write a new version, per settings.

`QA_VECTOR_STORE=faiss` (the default) keeps versioned FAISS + bm25s folders under
`QA_INDEX_DIR`; other backends plug in here and nowhere else.
"""

from __future__ import annotations

from qa.settings import Settings
from qa.store.base import IndexData, PassageStore


def open_store(settings: Settings, model_id: str | None = None, check_corpus: bool = True) -> PassageStore:
    """The live index version; with `model_id`, refused as stale when built otherwise."""
    from qa.index.load import load_index

    corpus = settings.corpus_dir if check_corpus and model_id is not None else None
    return load_index(settings.index_dir, corpus, model_id)


def write_store(settings: Settings, data: IndexData) -> str:
    """Write `data` as a new version, switch to it atomically and return its name."""
    from qa.index.write import build_lock, write_local_version

    with build_lock(settings.index_dir):
        return write_local_version(settings.index_dir, data).name


def live_version_name(settings: Settings) -> str | None:
    """Name of the version a fresh open would serve (cheap: polled by running servers)."""
    from qa.index.load import CURRENT

    try:
        return (settings.index_dir / CURRENT).read_text().strip() or None
    except OSError:
        return None
