"""Chinese script: which one a text is written in, and conversion between them (OpenCC).

Matching (keyword tokens, vectors of Traditional questions) works on one folded form,
Simplified with mainland phrasing (`fold`), so a question in either script finds text in either;
what users see keeps the source's characters, and a converted copy is offered in the asker's
script. OpenCC (Apache-2.0) converts by phrase tables, not character by character, so regional
words come out right (软件 → 軟體 for Taiwan).
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


def fold(text: str) -> str:
    """The form texts are matched in: Simplified characters with mainland phrases (OpenCC tw2sp).

    Taiwan writing differs from mainland writing in words, not only characters (釋出/发布,
    專案/项目, 支援/支持); folding by characters alone (t2s) leaves those apart. The phrase table
    also rewrites a few words that Simplified text shares with Taiwan usage (新增 → 添加), which
    is harmless for matching as long as both sides are folded alike — never show folded text.
    """
    return _converter("tw2sp").convert(text) if text else text


def fold_traditional(text: str) -> str:
    """The folded form of a text written in Traditional characters; any other text unchanged.

    What the embedding model reads: it knows Simplified Chinese better than Traditional, and a
    Simplified text is left alone so its vector stays what it was.
    """
    return fold(text) if script_of(text) == "zh-Hant" else text


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


def in_script(text: str, script: Script | None) -> str | None:
    """`text` converted to `script` when it is Chinese written in the other script, else None
    (nothing to convert: no asker's script, no Chinese characters, or already in `script`)."""
    if script is None:
        return None
    source = script_of(text)
    if source is None or source == script:
        return None
    return to_traditional(text) if script == "zh-Hant" else to_simplified(text)
