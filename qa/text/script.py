"""Chinese script: which one a text is written in, and conversion between them (OpenCC).

Matching (keyword tokens, vectors of questions) works on one folded form, Simplified, so a
question in either script finds text in either; what users see keeps the source's characters,
and a converted copy is offered in the asker's script. OpenCC (Apache-2.0) converts by phrase
tables, not character by character, so regional words come out right (軟體 ↔ 软件).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import opencc

Script = Literal["zh-Hans", "zh-Hant"]
# Taiwan phrases for the Traditional side by default; Hong Kong pages ask for zh-HK explicitly.
_TO_TRADITIONAL = {"zh-Hant": "s2twp", "zh-TW": "s2twp", "zh-HK": "s2hk"}


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """The Simplified form of `text` (Latin, digits and Simplified characters pass unchanged)."""
    return _converter("t2s").convert(text) if text else text


def to_traditional(text: str, region: str = "zh-Hant") -> str:
    """`text` in Traditional characters with the phrases of `region` (zh-Hant/zh-TW: Taiwan, zh-HK)."""
    return _converter(_TO_TRADITIONAL.get(region, "s2twp")).convert(text) if text else text


def script_of(text: str) -> Script | None:
    """'zh-Hant' when folding to Simplified changes the text, 'zh-Hans' when it holds Chinese
    characters that folding leaves alone, None when it has no Chinese characters at all."""
    simplified = to_simplified(text)
    if simplified != text:
        return "zh-Hant"
    return "zh-Hans" if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text) else None
