"""Build-time encoding: length-sorted batches, each text once, progress counted in texts."""

from __future__ import annotations

import numpy as np

from qa.embed.cache import CHARS_PER_TEXT, encode_texts, length_batches


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
