"""A build cut off midway (a job cancelled or killed while embedding) is resumed by the next
build from the embedding cache: the next build embeds only what was not kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.embed import cache as cache_module
from qa.embed.cache import EmbeddingCache
from qa.embed.shared import SlicedBuildEncoder
from qa.index.build import prepare_index_data
from tests.conftest import TINY_SECTION, paper_excerpt, write_interleaved


class Stopped(Exception):
    pass


class CountingEncoder:
    """The real encoder, counting the texts it embeds."""

    def __init__(self, encoder) -> None:
        self.encoder, self.texts = encoder, 0

    def __getattr__(self, name: str):
        return getattr(self.encoder, name)

    def encode_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.texts += len(texts)
        return self.encoder.encode_documents(texts, batch_size=batch_size)


def test_the_build_after_an_interrupted_one_embeds_only_the_rest(encoder, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(cache_module, "CHECKPOINT_TEXTS", 4)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    write_interleaved(corpus / "tiny.zh-en.txt", paper_excerpt(*TINY_SECTION))
    embedded = 0

    def progress(count: int) -> None:  # as a job's progress raises once it is cancelled
        nonlocal embedded
        embedded += count
        if embedded >= 12:
            raise Stopped

    with pytest.raises(Stopped):
        prepare_index_data(corpus, SlicedBuildEncoder(encoder, progress), index, batch_size=2)
    kept = len(EmbeddingCache(index, encoder.model_id, encoder.dimension).load())
    assert 0 < kept <= embedded

    reused: list[int] = []
    counting = CountingEncoder(encoder)
    data = prepare_index_data(corpus, counting, index, batch_size=2, progress=False, on_reused=reused.append)
    distinct = len(EmbeddingCache(index, encoder.model_id, encoder.dimension).load())
    assert reused == [kept] and counting.texts == distinct - kept
    assert len(data.passages) and data.vectors.shape == (len(data.passages), encoder.dimension)
