"""One settings object for the whole service; every field is an env var `QA_<NAME>`."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from qa import DEFAULT_THREADS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_ORIGIN = re.compile(r"^https?://[^/\s]+$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")

    # Corpus, model and index: where things are and how the encoder runs.
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of source documents.")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Folder where index versions live.")
    model: str = Field(
        "multilingual-e5-small",
        description="Embedding model: a built-in name (multilingual-e5-small, multilingual-use, e5+use) "
        "or the path of a local sentence-transformers model folder.",
    )
    threads: int = Field(
        DEFAULT_THREADS,
        ge=1,
        description="CPU threads of the encoder and the other "
        "native pools (OMP_NUM_THREADS); keep workers × threads ≤ cores.",
    )
    query_batch: int = Field(
        16, ge=1, description="Most concurrent queries encoded in one model call (micro-batching); 1 = one at a time."
    )
    calibration: Path | None = Field(
        None,
        description="Fitted ranking, abstention and answer constants (JSON written by "
        "`qa eval --folds K --fit FILE`); empty = the packaged qa/search/calibration.json.",
    )
    batch_size: int = Field(32, ge=1, description="Passages per encoding batch at build time.")
    auto_build: bool = Field(
        True, description="Build (or rebuild a stale) index on start instead of refusing to serve."
    )
    # Server (`qa serve`).
    host: str = Field("127.0.0.1", description="Bind address of `qa serve`.")
    port: int = Field(8000, ge=1, le=65535, description="Port of `qa serve`.")
    log_level: str = Field("info", description="Log level of the server.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies (comma-separated IPs, or '*') whose X-Forwarded-For / "
        "X-Forwarded-Proto are trusted: behind a load balancer, its address, so rate limits and "
        "logs see the real client instead of the balancer.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other sites allowed to call the API from a browser (the embedded widget): "
        "origins like https://example.org, comma-separated or a JSON list; '*' allows any. "
        "Empty = same origin only (the demo page at / needs nothing).",
    )

    @field_validator("cors_origins", "public_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        origins = [str(o).strip().rstrip("/") for o in value if str(o).strip()]
        for origin in origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://example.org[:port]")
        return origins

    # Hardening (docs/deployment.md "Security model"): keys, limits, observability, reloads.
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="API keys, comma-separated; when set, /v1/* needs one in `Authorization: "
        "Bearer …` or `X-API-Key`. Empty = open API.",
    )
    widget_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Public keys for the embedded widget, comma-separated: accepted like API keys "
        "but only from a browser page whose Origin is in QA_CORS_ORIGINS or is this server.",
    )
    api_key: str = Field(
        "",
        description="The key `qa ask --url` and `qa chat --url` send to a "
        "remote server (one of its QA_API_KEYS); empty = none.",
    )
    admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Keys for /v1/admin/* (index reload), comma-separated. Empty = admin endpoints refused.",
    )
    public_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="This server's own public origin(s), e.g. https://qa.example.org, where its demo "
        "page is served: QA_WIDGET_KEYS work from there as from QA_CORS_ORIGINS. Comma-separated.",
    )
    key_cache_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="Oldest view of the stored keys a server acts on: a key created "
        "or revoked on another replica is seen within this time.",
    )
    token_secret: str = Field(
        "",
        description="Server secret from which each stored key's visitor-token signing secret is "
        "derived; the same on every replica. Empty = a random secret kept in QA_INDEX_DIR/.token-secret "
        "(one server); with QA_DATABASE_URL set and this empty, visitor tokens are off.",
    )
    metrics_public: bool = Field(
        True, description="Serve /metrics without a key (false: it needs an API key when keys are set)."
    )
    max_body_bytes: int = Field(65536, ge=1024, description="Largest request body accepted (413 above).")
    rate_limit_per_minute: float = Field(
        0, ge=0, description="Requests per minute per client (API key, else IP) on /v1/*; 0 = off."
    )
    rate_limit_burst: int = Field(
        20,
        ge=0,
        description="Requests a client may send at once before the per-minute rate applies; 0 = rate limiting off.",
    )
    early_retry_hold_seconds: float = Field(
        5.0,
        ge=0,
        description="A client that asks again before the Retry-After of its last 429/503 has its "
        "request held, unread, until then (at most this many seconds), so one that ignores "
        "Retry-After cannot spend the server on refusals; 0 = answer at once.",
    )
    widget_key_limit_per_minute: float = Field(
        600,
        ge=0,
        description="Requests per minute of all visitors of one widget key together "
        "(each visitor, by address, also has the per-client limit above); bucket of 10 seconds' "
        "worth; applies while rate limiting is on; 0 = no ceiling.",
    )
    # Cost limits, in encoder tokens (qa/embed/tokens.py): what a query really costs.
    max_query_tokens: int = Field(
        256,
        ge=16,
        description="Most encoder tokens of a query or question (~1 per Chinese "
        "character, ~1.2 per English word): a longer one is encoded from its first this many "
        "tokens, and costs that (keyword search still reads all of it).",
    )
    token_limit_per_minute: float = Field(
        0,
        ge=0,
        description="Encoder tokens per minute per client on /v1/search and /v1/ask, on "
        "top of the request rate limit; 429 with Retry-After; 0 = off.",
    )
    token_limit_burst: int = Field(
        256,
        ge=1,
        description="Encoder tokens a client may spend at once before the per-minute "
        "token rate applies (never less than QA_MAX_QUERY_TOKENS).",
    )
    query_queue_tokens: int = Field(
        2048,
        ge=16,
        description="Most encoder tokens waiting for or in the encoder at once; a query "
        "that would exceed it gets 503 overloaded with Retry-After instead of waiting.",
    )
    long_query_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Most of the encoder's time that long queries (over 64 "
        "tokens) may take together, from all clients; beyond it they get 503 overloaded with "
        "Retry-After, so short questions seldom wait behind them; 1 = no limit (a private server "
        "whose clients are all trusted).",
    )
    # Connections (`qa serve`, qa/api/connections.py; behind a proxy, the proxy's limits first).
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest time a connection may take to send its request headers; then it is closed."
    )
    body_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest pause between two pieces of a request body; then the connection is closed."
    )
    keep_alive_seconds: int = Field(
        5, ge=1, description="How long an idle connection is kept open between two requests."
    )
    max_connections: int = Field(
        1000, ge=1, description="Most open connections; one past it is closed as soon as it is accepted."
    )
    max_connections_per_client: int = Field(
        64, ge=1, description="Most open connections from one address (a proxy's address counts as one client)."
    )
    reload_poll_seconds: float = Field(
        2.0,
        ge=0,
        description="How often a server checks index/CURRENT for a new version to switch "
        "to; 0 = never (use POST /v1/admin/reload).",
    )
    access_log: bool = Field(True, description="One JSON log line per request on stderr.")
    stream_heartbeat_seconds: float = Field(
        10.0,
        gt=0,
        description="Seconds of silence after which a streamed response (/v1/ask with "
        "Accept: text/event-stream, chat completions with stream) sends a heartbeat comment line.",
    )

    # State store (qa/state): keys, collections and the like, shared by replicas.
    database_url: str = Field(
        "",
        description="Database of the state store (keys, collections): a SQLAlchemy URL such as "
        "postgresql://user:password@host/qa for several replicas. Empty = SQLite file state.db in "
        "QA_INDEX_DIR (no setup).",
    )

    # Question log and feedback (qa/analytics), kept in the state store.
    analytics: bool = Field(
        True,
        description="Record every ask (question, language, support, "
        "confidence, cited passages, latency, a daily-rotated visitor hash; never "
        "an address or key) for the admin analytics. A request header "
        "`X-QA-Analytics: off` opts one visitor out.",
    )
    analytics_searches: bool = Field(False, description="Record /v1/search queries in the question log too.")
    analytics_retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Days the question log and "
        "feedback are kept; older records are purged at start, "
        "every 6 hours and on demand. Also how long an answer can "
        "be rated.",
    )
    analytics_buffer: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Question-log records "
        "waiting to be written; beyond it records are dropped and counted "
        "(asks never wait for the database).",
    )

    # Documents (qa ingest, POST /v1/documents): what a reader accepts before parsing anything.
    max_document_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest document file accepted (each edition; an upload may carry two)."
    )
    max_document_pages: int = Field(2000, ge=1, description="Most pages a PDF may have.")
    document_formats: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Formats accepted (comma-separated: txt, md, pdf, html, docx, tmx, xliff, po). Empty = all.",
    )
    document_timeout_seconds: float = Field(
        120.0, gt=0, description="Longest time reading one uploaded file may take (it runs in a child process)."
    )
    max_document_units: int = Field(
        20000,
        ge=1,
        description="Most paragraphs (or translation units of a TMX, XLIFF or PO file) one document file may hold.",
    )
    max_document_chars: int = Field(
        3_000_000,
        ge=1000,
        description="Most characters of text one document file may hold (what the encoder will read).",
    )
    build_encoder_share: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Share of the CPU a build keeps while queries compete for it (an upload's "
        "build, and `qa build` beside a server): it runs at the matching lower CPU priority "
        "(0.1: nice 10) and lets waiting queries go first; alone it uses every core; 0.5 or more "
        "= the same priority as queries.",
    )

    @field_validator("document_formats", mode="before")
    @classmethod
    def _parse_formats(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = value.split(",")
        # Which formats exist, the registered readers say: Limits.from_settings checks them.
        return [str(f).strip().lower().lstrip(".") for f in value if str(f).strip()]

    # Storage backend (docs/deployment.md "Scale-out on Milvus").
    vector_store: Literal["faiss", "milvus"] = Field(
        "faiss",
        description="Where the index lives: `faiss` = local files in QA_INDEX_DIR (embedded "
        "default); `milvus` = a Milvus server or cluster, so replicas hold no index files.",
    )
    milvus_uri: str = Field(
        "http://127.0.0.1:19530",
        description="Milvus server or cluster address (with QA_VECTOR_STORE=milvus), e.g. http://milvus:19530.",
    )
    milvus_token: str = Field(
        "", description="Milvus credentials: `user:password` or an API key; empty = no authentication."
    )
    milvus_collection: str = Field(
        "qa",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,100}$",
        description="Name of the index in Milvus: versions are collections `<name>_<version>`, the "
        "live one is named in `<name>_meta` and by the alias `<name>`.",
    )
    milvus_index_type: Literal["AUTOINDEX", "HNSW", "IVF_FLAT", "FLAT"] = Field(
        "AUTOINDEX",
        description="Vector index built by `qa build` on Milvus: AUTOINDEX (any server), "
        "HNSW on a cluster (the embedded engine has no HNSW).",
    )
    milvus_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="Longest wait for one Milvus call; beyond it the request gets 503 "
        "store_unavailable instead of hanging.",
    )

    @field_validator("api_keys", "widget_keys", "admin_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = value.split(",")
        return [str(key).strip() for key in value if str(key).strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
