"""Where each collection's documents and index versions live (local store).

The collection `default` is the service's own QA_CORPUS_DIR and QA_INDEX_DIR, exactly as before
collections existed. Any other collection `<name>` keeps both under the index folder:
`<QA_INDEX_DIR>/collections/<name>/corpus` and `…/index` (its own versions and CURRENT), so a
build of one never touches another. Names are checked by qa.state.collections (no path
characters) before they get here.
"""

from __future__ import annotations

from pathlib import Path

from qa.settings import Settings

DEFAULT_COLLECTION = "default"
COLLECTIONS_FOLDER = "collections"


def collection_root(settings: Settings, name: str) -> Path:
    return Path(settings.index_dir) / COLLECTIONS_FOLDER / name


def collection_settings(settings: Settings, name: str) -> Settings:
    """The settings that build and serve collection `name` (the same settings for `default`)."""
    if name == DEFAULT_COLLECTION:
        return settings
    root = collection_root(settings, name)
    return settings.model_copy(update={"corpus_dir": root / "corpus", "index_dir": root / "index"})


def collection_corpus(settings: Settings, name: str) -> Path:
    """The corpus folder of collection `name`."""
    return collection_settings(settings, name).corpus_dir


def collection_exists(settings: Settings, name: str) -> bool:
    return name == DEFAULT_COLLECTION or collection_root(settings, name).is_dir()
