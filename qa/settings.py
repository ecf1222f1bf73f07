"""One settings object for the whole service; every field is an env var `QA_<NAME>`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of source documents.")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Folder where index versions live.")
    model: str = Field(
        "multilingual-e5-small",
        description="Embedding model: a built-in name (multilingual-e5-small, multilingual-use) "
        "or the path of a local sentence-transformers model folder.",
    )
    threads: int = Field(2, ge=1, description="CPU threads for the encoder.")
    batch_size: int = Field(32, ge=1, description="Passages per encoding batch at build time.")
    auto_build: bool = Field(
        True, description="Build (or rebuild a stale) index on start instead of refusing to serve."
    )
    host: str = Field("127.0.0.1", description="Bind address of `qa serve`.")
    port: int = Field(8000, ge=1, le=65535, description="Port of `qa serve`.")
    log_level: str = Field("info", description="Log level of the server.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
