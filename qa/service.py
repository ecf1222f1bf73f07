"""Wire settings → encoder → store → search engine; shared by the CLI and the HTTP app."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from qa.corpus.readers import Limits
from qa.embed.batching import BatchingEncoder
from qa.embed.model import Encoder, load_encoder
from qa.embed.tokens import token_counter
from qa.index.build import prepare_index_data
from qa.search.calibration import load_calibration
from qa.search.engine import SearchEngine
from qa.settings import Settings
from qa.store.backends import live_version_name, open_store, write_store
from qa.store.base import PassageStore, StoreCorrupt, StoreMissing, StoreStale, StoreUnavailable
from qa.store.collections import DEFAULT_COLLECTION, collection_exists, collection_settings
from qa.store.filtered import FilteredStore
from qa.store.filters import DocFilter
from qa.store.local.load import CURRENT

log = logging.getLogger(__name__)

WARMUP_QUERIES = ["你好", "hello"]
RETRY_MAX_SECONDS = 30.0  # longest wait between attempts to reach an unavailable store at start


@dataclass
class Service:
    settings: Settings
    encoder: Encoder
    store: PassageStore
    engine: SearchEngine


def build_store(
    settings: Settings,
    encoder: Encoder,
    progress: bool = True,
    allow_empty: bool = False,
    on_reused: Callable[[int], None] | None = None,
) -> str:
    """Build a new index version from the corpus into the configured store; returns its name.

    With `allow_empty` an empty corpus gives an empty index (a server that documents are then
    uploaded to); `qa build` refuses it instead, since it is most likely a wrong QA_CORPUS_DIR.
    Files are read in a child process within the document limits (QA_MAX_DOCUMENT_*), as at
    upload; `on_reused(n)` hears how many texts came from the embedding cache.
    """
    if allow_empty:
        settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    data = prepare_index_data(
        settings.corpus_dir,
        encoder,
        settings.index_dir,
        settings.batch_size,
        progress,
        allow_empty,
        Limits.from_settings(settings),
        on_reused,
    )
    return write_store(settings, data)


def open_index(settings: Settings, encoder: Encoder, progress: bool = True) -> PassageStore:
    """Open the live index; build it when missing, stale or corrupt and auto_build is on."""
    try:
        return open_store(settings, encoder.model_id)
    except (StoreMissing, StoreStale, StoreCorrupt) as exc:
        if not settings.auto_build:
            raise
        log.warning("%s — building a new index version (QA_AUTO_BUILD=true)", exc)
    build_store(settings, encoder, progress, allow_empty=True)
    return open_store(settings, encoder.model_id)


def make_engine(settings: Settings, store: PassageStore, query_encoder) -> SearchEngine:
    calibration = load_calibration(settings.calibration) if settings.calibration else load_calibration()
    return SearchEngine(store, query_encoder, calibration)


def open_service(settings: Settings, progress: bool = True, encoder: Encoder | None = None) -> Service:
    encoder = encoder or load_encoder(settings.model, settings.threads)
    store = open_index(settings, encoder, progress)
    # Concurrent requests share one model call (the model runs one call at a time anyway), in a
    # queue bounded in encoder tokens: a query that would overfill it gets QueueFull (503).
    queries = BatchingEncoder(
        encoder,
        settings.query_batch,
        settings.query_queue_tokens,
        cost=token_counter(encoder),
        long_query_share=settings.long_query_share,
        max_tokens=settings.max_query_tokens,
    )
    engine = make_engine(settings, store, queries)
    engine.search_many(WARMUP_QUERIES)
    return Service(settings, encoder, store, engine)


def filtered_service(service: Service, doc_filter: DocFilter) -> Service:
    """`service` seen through `doc_filter`: every search of it (ask, follow-ups, chat) keeps to
    it, inside the store; `service` itself for an empty filter."""
    if not doc_filter:
        return service
    store = FilteredStore(service.store, doc_filter)
    return replace(service, store=store, engine=SearchEngine(store, service.engine.encoder, service.engine.calibration))


@dataclass(frozen=True)
class CollectionSummary:
    documents: int
    passages: dict[str, int]
    index_version: str | None


def collection_summary(settings: Settings, name: str) -> CollectionSummary:
    """Documents, passages per language and version of a collection's live local index, from its
    manifest alone (listing collections loads no index); zeros before its first build."""
    index_dir = collection_settings(settings, name).index_dir
    try:
        version = (index_dir / CURRENT).read_text().strip()
        manifest = json.loads((index_dir / version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return CollectionSummary(0, {"zh": 0, "en": 0}, None)
    return CollectionSummary(
        len(manifest.get("documents", [])), dict(manifest.get("passages_by_lang", {"zh": 0, "en": 0})), version
    )


class ServiceHolder:
    """Loads the service in the background so /healthz answers at once and /readyz says when."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service: Service | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        self.loader: threading.Thread | None = None
        # Collections other than `default`, opened on first use with the default's encoder.
        self.collections: dict[str, Service] = {}
        self._collections_lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self.service is not None or self.loader is not None

    def start(self) -> None:
        self.loader = threading.Thread(target=self._load, name="qa-loader", daemon=True)
        self.loader.start()

    def _load(self) -> None:
        delay = 1.0
        while True:
            try:
                self.service = open_service(self.settings)
            except StoreUnavailable as exc:  # e.g. Milvus not up yet: /readyz says so, and we retry
                self.error = str(exc)
                log.warning("%s — retrying in %.0f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            except Exception as exc:  # reported by /readyz; the process stays up for diagnosis
                log.exception("failed to load the index")
                self.error = str(exc)
                return
            break
        self.error = None
        log.info(
            "ready: index %s, %d passages, model %s",
            self.service.store.version,
            self.service.store.size,
            self.service.encoder.model_id,
        )
        self.ready.set()

    def reload(self) -> str:
        """Switch to the live index version without dropping requests in flight."""
        current = self.service
        if current is None:
            raise RuntimeError("service not loaded yet")
        store = open_store(self.settings, current.encoder.model_id)
        # Replacing the reference is atomic; requests already running keep the old engine.
        self.service = Service(
            self.settings, current.encoder, store, make_engine(self.settings, store, current.engine.encoder)
        )
        return store.version

    def for_collection(self, name: str) -> Service | None:
        """The service of collection `name` (None while the default one is still loading).

        Opened on first use (an empty collection gets an empty index), and reopened when its
        live version changed (`qa build/ingest --collection`): one file read per call.
        Raises KeyError for a collection that does not exist here."""
        base = self.service
        if name == DEFAULT_COLLECTION or base is None:
            return base
        if not collection_exists(self.settings, name):
            self.collections.pop(name, None)
            raise KeyError(name)
        settings = collection_settings(self.settings, name)
        with self._collections_lock:
            current = self.collections.get(name)
            if current is None or live_version_name(settings) != current.store.version:
                store = open_index(settings, base.encoder, progress=False)
                current = Service(settings, base.encoder, store, make_engine(settings, store, base.engine.encoder))
                self.collections[name] = current
            return current

    def forget(self, name: str) -> None:
        with self._collections_lock:
            self.collections.pop(name, None)
