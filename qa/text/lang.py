"""Small text helpers: script detection and whitespace cleanup."""

from __future__ import annotations

import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters, else 'en'."""
    cjk = cjk_count(text)
    latin = len(_LATIN.findall(text))
    if cjk == 0:
        return "en"
    # One Chinese character carries about as much as a short English word (~4 letters).
    return "zh" if cjk * 4 >= latin else "en"


def clean_line(line: str) -> str:
    """NFC, drop zero-width/control characters, fold runs of spaces, trim."""
    line = unicodedata.normalize("NFC", line)
    line = "".join(ch for ch in line if ch in "\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return _SPACES.sub(" ", line).strip()
