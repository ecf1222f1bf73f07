"""Tokens for keyword search and word-overlap features, Chinese (jieba) and English (Snowball).

Dense models blur numbers, years and names ("2060", "1+N", "CCER"); exact tokens match them.
One tokenizer covers both languages: digits and Latin acronyms inside Chinese text match
English queries too. Stop words are only the function words of each language (question words
included): nothing here may know about a particular corpus.

Chinese is folded first (qa.text.script.fold), so 風電 and 风电 are one token; the corpus's own
terms (qa.text.terms) keep its names whole and fold its synonyms into one token.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import Stemmer

from qa.text.script import fold
from qa.text.terms import Terms, active_terms

jieba.setLogLevel(logging.WARNING)

# Recorded in the index manifest: changing the pattern, the stop words or the stemming makes
# every older keyword index stale (its vocabulary no longer matches query tokens).
TOKENIZER_VERSION = 3  # 3: Chinese folded to one script; corpus terms and synonyms

OOV_BIGRAMS = False  # character pairs of out-of-vocabulary words (measured: scripts/keyword_segmentation.py)
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


def _chinese_words(piece: str, terms: Terms) -> list[str]:
    segmenter = terms.segmenter
    words = [w for w in segmenter.cut_for_search(piece) if w not in _ZH_STOP]
    if OOV_BIGRAMS:
        # A word the dictionary does not know was guessed by jieba's HMM, which may cut the same
        # name differently elsewhere; its character pairs still match.
        words += [w[i : i + 2] for w in words if len(w) > 2 and not segmenter.FREQ.get(w) for i in range(len(w) - 1)]
    return words


def _plain_tokens(text: str, terms: Terms) -> list[str]:
    tokens: list[str] = []
    for piece in _TOKEN.findall(fold(text)):
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
            tokens.extend(_chinese_words(piece, terms))
    return tokens


@lru_cache(maxsize=8)
def _synonym_map(terms: Terms) -> tuple[dict[str, str], dict[str, dict[tuple[str, ...], str]]]:
    """(token → group token, first token → {token sequence → group token}) of the synonym groups.

    A Chinese member is one token (it is in the segmenter's dictionary, which emits the whole
    word); an English one is its stemmed words, one token or a phrase. A group's token is its
    first member's first form.
    """
    single: dict[str, str] = {}
    phrases: dict[str, dict[tuple[str, ...], str]] = {}
    for group in terms.synonyms:
        forms = [(fold(m),) if _is_chinese_word(m) else tuple(_plain_tokens(m, terms)) for m in group]
        forms = [f for f in forms if f]
        if not forms:
            continue
        key = " ".join(forms[0])
        for form in forms:
            if len(form) == 1:
                single.setdefault(form[0], key)
            else:
                phrases.setdefault(form[0], {}).setdefault(form, key)
    return single, phrases


def _is_chinese_word(text: str) -> bool:
    return bool(_TOKEN.fullmatch(text)) and not text[0].isascii()


def _apply_synonyms(tokens: list[str], terms: Terms) -> list[str]:
    single, phrases = _synonym_map(terms)
    out = [single.get(t, t) for t in tokens]
    for i, token in enumerate(tokens):
        out += [key for phrase, key in phrases.get(token, {}).items() if tuple(tokens[i : i + len(phrase)]) == phrase]
    return out


def tokenize(text: str, terms: Terms | None = None) -> list[str]:
    """Keyword tokens of `text` with `terms` (default: those of the index being searched)."""
    terms = active_terms() if terms is None else terms
    tokens = _plain_tokens(text, terms)
    return _apply_synonyms(tokens, terms) if terms.synonyms else tokens
