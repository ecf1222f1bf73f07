"""Wire settings → encoder → index → search engine; shared by the CLI and the HTTP app."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from qa.embed.batching import BatchingEncoder
from qa.embed.model import Encoder, load_encoder
from qa.embed.tokens import token_counter
from qa.index.build import build_index
from qa.index.load import IndexBundle, IndexCorrupt, IndexMissing, IndexStale, load_index
from qa.search.engine import SearchEngine
from qa.settings import Settings

log = logging.getLogger(__name__)

WARMUP_QUERIES = ["碳达峰碳中和", "carbon neutrality"]


@dataclass
class Service:
    settings: Settings
    encoder: Encoder
    bundle: IndexBundle
    engine: SearchEngine


def open_index(settings: Settings, encoder: Encoder, progress: bool = True) -> IndexBundle:
    """Load the live index; build it when missing, stale or corrupt and auto_build is on."""
    try:
        return load_index(settings.index_dir, settings.corpus_dir, encoder.model_id)
    except (IndexMissing, IndexStale, IndexCorrupt) as exc:
        if not settings.auto_build:
            raise
        log.warning("%s — building a new index version (QA_AUTO_BUILD=true)", exc)
    folder = build_index(settings.corpus_dir, settings.index_dir, encoder, settings.batch_size, progress)
    return load_index(settings.index_dir, folder=folder)


def make_engine(settings: Settings, bundle: IndexBundle, query_encoder) -> SearchEngine:
    return SearchEngine(bundle, query_encoder, settings.fusion, settings.keyword_weight)


def open_service(settings: Settings, progress: bool = True, encoder: Encoder | None = None) -> Service:
    encoder = encoder or load_encoder(settings.model, settings.threads)
    bundle = open_index(settings, encoder, progress)
    # Concurrent requests share one model call (the model runs one call at a time anyway), in a
    # queue bounded in encoder tokens: a query that would overfill it gets QueueFull (503).
    queries = BatchingEncoder(encoder, settings.query_batch, settings.query_queue_tokens,
                              cost=token_counter(encoder), long_query_share=settings.long_query_share,
                              max_tokens=settings.max_query_tokens)
    engine = make_engine(settings, bundle, queries)
    for query in WARMUP_QUERIES:
        engine.search(query, top_k=1)
    return Service(settings, encoder, bundle, engine)


class ServiceHolder:
    """Loads the service in the background so /healthz answers at once and /readyz says when."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service: Service | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._load, name="qa-loader", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self.service = open_service(self.settings)
            log.info("ready: index %s, %d passages, model %s", self.service.bundle.version,
                     len(self.service.bundle.passages), self.service.encoder.model_id)
            self.ready.set()
        except Exception as exc:  # reported by /readyz; the process stays up for diagnosis
            log.exception("failed to load the index")
            self.error = str(exc)

    def wait(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def reload(self) -> str:
        """Switch to the live index version on disk without dropping requests in flight."""
        current = self.service
        if current is None:
            raise RuntimeError("service not loaded yet")
        bundle = load_index(self.settings.index_dir, self.settings.corpus_dir, current.encoder.model_id)
        # Replacing the reference is atomic; requests already running keep the old engine.
        self.service = Service(self.settings, current.encoder, bundle,
                               make_engine(self.settings, bundle, current.engine.encoder))
        return bundle.version
