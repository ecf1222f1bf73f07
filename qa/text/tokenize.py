"""Tokens for keyword search and word-overlap features, Chinese (jieba) and English (Snowball).

Dense models blur numbers, years and names ("2060", "1+N", "CCER"); exact tokens match them.
One tokenizer covers both languages: digits and Latin acronyms inside Chinese text match
English queries too. Stop words are only the function words of each language (question words
included): nothing here may know about a particular corpus.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import Stemmer

jieba.setLogLevel(logging.WARNING)

# Recorded in the index manifest: changing the pattern, the stop words or the stemming makes
# every older keyword index stale (its vocabulary no longer matches query tokens).
TOKENIZER_VERSION = 2

_TOKEN = re.compile(r"\d+\+[A-Za-z]+|\d+(?:[.,]\d+)*%?|[A-Za-z][A-Za-z'’-]*|[\u3400-\u9fff\uf900-\ufaff]+")
_EN_STOP = frozenset(
    "a an and are as at be been being but by can could did do does for from had has have how "
    "i if in into is it its me my of on or our over should so than that the their them then "
    "there these they this those to us was we were what when where which while who whom why "
    "will with would you your much many".split()
)
_ZH_STOP = frozenset(
    "的 了 是 在 和 与 及 等 对 为 中 有 也 并 将 已 把 被 吗 呢 啊 吧 么 "
    "多少 什么 哪些 哪 如何 怎么 怎样 为什么 是否 哪个 哪里 几 个".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for piece in _TOKEN.findall(text):
        first = piece[0]
        if first.isdigit():
            tokens.append(piece.rstrip("%").replace(",", "").lower())
        elif first.isascii():
            word = piece.lower().replace("’", "'")
            if word.endswith("'s"):
                word = word[:-2]
            if word not in _EN_STOP and len(word) > 1:
                tokens.append(_stemmer().stemWord(word))
        else:
            tokens.extend(w for w in jieba.cut_for_search(piece) if w not in _ZH_STOP)
    return tokens
