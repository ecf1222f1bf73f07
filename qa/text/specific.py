"""Specific terms of a question: numbers and proper names, the words a near miss hinges on.

"What is India's solar capacity?" or "欧盟哪一年实现碳中和？" land close to a paragraph about the
topic, yet the paragraph never names India or 欧盟. Numbers, capitalised names and acronyms in
English (and Latin acronyms inside Chinese) are rare enough that their absence from the best
passage says more than the absence of an ordinary word, which a paraphrase may well avoid.
Chinese proper nouns are not detected: jieba's part-of-speech tags proved too noisy for it
(白皮书 tagged as a person's name, 城市 and 东西 as places). Generic: no list of names, no
knowledge of any corpus.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_START = re.compile(r"(^|[.!?。！？]\s*)$")


def _number_key(text: str) -> str:
    return text.replace(",", "")


def specific_terms(question: str) -> list[str]:
    """Numbers, proper names and acronyms of a question, normalised for matching."""
    terms = [_number_key(n) for n in _NUMBER.findall(question)]
    for match in _LATIN_WORD.finditer(question):
        word = match.group().rstrip("'’").removesuffix("'s").removesuffix("’s")
        at_start = bool(_SENTENCE_START.search(question[: match.start()]))
        if (word.isupper() and len(word) > 1) or (word[0].isupper() and not at_start and len(word) > 1):
            terms.append(word.lower())
    return list(dict.fromkeys(terms))


def _word_stem(term: str) -> str:
    """A name without its last two letters, so that its other word forms match ("Himalayan" →
    "himalay", found in "Himalayas"); numbers and words of five letters or fewer stay whole."""
    if not term.isalpha() or len(term) < 6:
        return term
    return term[: max(5, len(term) - 2)]


def missing_share(terms: list[str], texts: list[str], word_forms: bool = False) -> float:
    """Share of `terms` found in none of `texts` (0 when there are no terms); with `word_forms`,
    a name counts as found in another form of the same word."""
    if not terms:
        return 0.0
    haystack = _number_key(" ".join(texts)).lower()
    return sum((_word_stem(term) if word_forms else term) not in haystack for term in terms) / len(terms)
