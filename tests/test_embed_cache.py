"""Build-time encoding: length-sorted batches, each text once, progress counted in texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.embed import cache as cache_module
from qa.embed.cache import CHARS_PER_TEXT, EmbeddingCache, encode_texts, encode_with_cache, length_batches


def test_batches_cover_every_text_once_longest_first():
    texts = ["x" * n for n in (5, 300, 40, 1200, 40, 7, 90)]
    batches = length_batches(texts, batch_size=2)
    order = [i for batch in batches for i in batch]
    assert sorted(order) == list(range(len(texts)))
    assert [len(texts[i]) for i in order] == sorted(map(len, texts), reverse=True)


def test_batches_hold_a_character_budget_so_short_texts_share_a_call():
    sentences = ["短句。" * 5] * 100  # 15 characters each
    passages = ["a long paragraph " * 36] * 10  # 612 characters each
    batches = length_batches(passages + sentences, batch_size=4)
    budget = 4 * CHARS_PER_TEXT
    for batch in batches:
        assert len(batch) == 1 or sum(len((passages + sentences)[i]) for i in batch) <= budget
    assert max(len(b) for b in batches) > 4  # many sentences in one call, not 4
    assert all(sum(i < 10 for i in b) <= 1 for b in batches)  # two long passages overflow a batch


def test_encoding_in_batches_keeps_the_input_order(encoder):
    texts = [
        "Green hydrogen can replace coal in steel making.",
        "碳达峰",
        "wind and solar " * 40,
        "Green hydrogen can replace coal in steel making.",
    ]
    vectors = encode_texts(encoder, texts, batch_size=1)
    assert vectors.shape == (4, encoder.dimension)
    assert np.allclose(vectors, encoder.encode_documents(texts), atol=1e-5)


def test_progress_counts_texts(encoder, capsys):
    encode_texts(encoder, ["one text", "another text", "a third"], batch_size=1, progress=True)
    assert "3/3" in capsys.readouterr().err
    encode_texts(encoder, ["quiet"], progress=False)
    assert capsys.readouterr().err == ""


class Interrupted(Exception):
    pass


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed; it raises (a killed build)
    once `fail_after` calls have been made."""

    def __init__(self, encoder, fail_after: int | None = None) -> None:
        self.encoder, self.fail_after = encoder, fail_after
        self.calls = self.texts = 0

    def __getattr__(self, name: str):
        return getattr(self.encoder, name)

    def encode_documents(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise Interrupted("killed")
        self.calls += 1
        self.texts += len(texts)
        return self.encoder.encode_documents(texts, batch_size=batch_size)


def test_an_interrupted_build_keeps_its_checkpoints_and_the_next_encodes_only_the_rest(
    encoder, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr(cache_module, "CHECKPOINT_TEXTS", 6)
    # About two texts a batch (batch_size=2 × CHARS_PER_TEXT characters): some 15 model calls.
    texts = [
        f"第{n}段：风电与光伏的装机容量持续增长。" * 4 + f"Wind and solar capacity keeps growing ({n})." * 2
        for n in range(30)
    ]
    killed = CountingEncoder(encoder, fail_after=5)
    with pytest.raises(Interrupted):
        encode_with_cache(killed, texts, tmp_path, batch_size=2)
    cache = EmbeddingCache(tmp_path, encoder.model_id, encoder.dimension)
    kept = len(cache.load())
    assert 0 < kept <= killed.texts and killed.texts - kept < 6  # at most one checkpoint lost

    reused: list[int] = []
    resumed = CountingEncoder(encoder)
    vectors = encode_with_cache(resumed, texts, tmp_path, batch_size=2, on_reused=reused.append)
    assert reused == [kept] and resumed.texts == len(texts) - kept
    assert np.allclose(vectors, encode_texts(encoder, texts, batch_size=8), atol=1e-5)
    assert not cache.parts_dir.exists() and len(cache.load()) == len(texts)  # folded in


def test_a_damaged_checkpoint_is_embedded_again(encoder, tmp_path: Path):
    cache = EmbeddingCache(tmp_path, encoder.model_id, encoder.dimension)
    cache.parts_dir.mkdir(parents=True)
    (cache.parts_dir / "torn.npz").write_bytes(b"PK\x03\x04 not a whole file")
    counting = CountingEncoder(encoder)
    encode_with_cache(counting, ["一句话。", "One sentence."], tmp_path)
    assert counting.texts == 2
