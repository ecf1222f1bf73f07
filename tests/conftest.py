"""Shared fixtures: the real model, a real index of the demo corpus built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.embed.model import Encoder, load_encoder
from qa.settings import PROJECT_ROOT, Settings

CORPUS_DIR = PROJECT_ROOT / "corpus"
DATA_DIR = Path(__file__).parent / "data"
PAPER = "carbon-neutrality-white-paper-2025"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return load_encoder("multilingual-e5-small", threads=2)


@pytest.fixture(scope="session")
def index_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def settings(index_root: Path) -> Settings:
    """Settings for the demo corpus with a session-private index folder."""
    return Settings(corpus_dir=CORPUS_DIR, index_dir=index_root, auto_build=True)


@pytest.fixture(scope="session")
def service(settings: Settings, encoder: Encoder):
    from qa.service import open_service

    return open_service(settings, progress=False, encoder=encoder)


@pytest.fixture(scope="session")
def app(settings: Settings, service):
    from qa.api.app import create_app
    from qa.service import ServiceHolder

    holder = ServiceHolder(settings)
    holder.service = service  # already loaded: no second build
    holder.ready.set()
    return create_app(settings, holder)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A private corpus folder holding a copy of the paper, safe to modify."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(CORPUS_DIR / f"{PAPER}.zh-en.txt", folder)
    return folder
