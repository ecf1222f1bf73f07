"""Leaf text helpers shared by corpus, index, search and answer: language, sentences, tokens.

Nothing here imports another `qa` package, so every layer above may depend on it.
"""

from qa.text.lang import cjk_count, clean_line, detect_lang
from qa.text.sentences import SPLITTER_VERSION, sentence_spans, split_sentences
from qa.text.tokenize import TOKENIZER_VERSION, tokenize

__all__ = [
    "cjk_count",
    "clean_line",
    "detect_lang",
    "sentence_spans",
    "split_sentences",
    "tokenize",
    "SPLITTER_VERSION",
    "TOKENIZER_VERSION",
]
