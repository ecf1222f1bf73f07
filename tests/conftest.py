"""Shared fixtures: the real model, a real index of the demo corpus built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.analytics.recorder import AskEvent
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
    """Settings for the demo corpus with a session-private index folder. The session's shared
    service gives long queries the whole encoder: its long-query share is a budget every test
    would spend from, so results would depend on test order; the share has tests of its own."""
    return Settings(corpus_dir=CORPUS_DIR, index_dir=index_root, auto_build=True, long_query_share=1.0)


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


def paper_excerpt(start: str, stop: str) -> list[str]:
    """The paper's body lines from heading `start` up to (not including) heading `stop`."""
    lines = (CORPUS_DIR / f"{PAPER}.zh-en.txt").read_text(encoding="utf-8").splitlines()
    first = lines.index(start, lines.index("天之聪CATTI"))  # after the table of contents
    return lines[first : lines.index(stop, first + 1)]


# Section (一) of the paper: four real zh/en pairs, embedded in about a second.
TINY_SECTION = ("(一)推进碳达峰碳中和是必由之路", "(二)系统推进碳达峰碳中和工作")


def write_interleaved(path: Path, body: list[str], title: tuple[str, str] = ("小文档", "Tiny Document")) -> Path:
    path.write_text("\n".join([*title, *body]) + "\n", encoding="utf-8")
    return path


def swap_english(body: list[str], first: int, second: int) -> list[str]:
    """The body with its `first`-th and `second`-th English paragraphs (0-based) exchanged."""
    from qa.corpus.structure import heading_of
    from qa.text import detect_lang

    english = [i for i, line in enumerate(body) if detect_lang(line) == "en" and not heading_of(line, "en")]
    out = list(body)
    out[english[first]], out[english[second]] = body[english[second]], body[english[first]]
    return out


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A private corpus of one small interleaved document cut from the paper (8 passages)."""
    folder = tmp_path / "tiny-corpus"
    folder.mkdir()
    write_interleaved(folder / "tiny.zh-en.txt", paper_excerpt(*TINY_SECTION))
    return folder


@pytest.fixture
def cli_env(monkeypatch):
    """Point the CLI (settings from QA_* env vars, cached) at given folders: cli_env(corpus, index)."""
    from qa.settings import get_settings

    def point(corpus_dir: Path, index_dir: Path) -> None:
        monkeypatch.setenv("QA_CORPUS_DIR", str(corpus_dir))
        monkeypatch.setenv("QA_INDEX_DIR", str(index_dir))
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


@pytest.fixture
def old_ask() -> Callable[[int], AskEvent]:
    """An unanswered ask logged `days` ago (answer id `ans_old`), for retention and time windows."""

    def make(days: int) -> AskEvent:
        return AskEvent(
            answer_id="ans_old",
            question="旧问题",
            lang="zh",
            script=None,
            support="none",
            confidence=0.1,
            cited=[],
            latency_ms=1.0,
            visitor="v",
            at=datetime.now(UTC) - timedelta(days=days),
        )

    return make
