"""Keyword path alone: how Chinese is cut, measured on the dev sets in both scripts.

Variants: no script folding (the tokenizer before folding), today's jieba search-mode cut on
folded text, and the same plus character pairs of out-of-vocabulary words. Builds each BM25
index of a corpus (no model needed) and asks its Chinese questions as written (Simplified) and
converted to Traditional. Reports hit@1 (precision of the first result), recall@10 (a gold
passage in the top ten), MRR@10 and p@5 (share of the first five results holding a gold snippet).

    python scripts/keyword_segmentation.py
"""

from __future__ import annotations

import importlib
from pathlib import Path

from qa.corpus.store import load_documents
from qa.eval.cli import DEFAULT_FILES
from qa.eval.metrics import Ranked, is_hit
from qa.eval.questions import load_questions
from qa.settings import PROJECT_ROOT, get_settings
from qa.store.local.keyword import KeywordIndex
from qa.text.script import to_traditional

tokenize_module = importlib.import_module("qa.text.tokenize")  # the package exports a function of that name
ENCYCLOPEDIA = PROJECT_ROOT / "tests" / "data" / "encyclopedia"
SETS = {
    "dev+dev2": (get_settings().corpus_dir, [PROJECT_ROOT / n for n in DEFAULT_FILES]),
    "encyclopedia": (ENCYCLOPEDIA, [ENCYCLOPEDIA / "questions.jsonl"]),
}
VARIANTS = {
    "no folding (before)": dict(fold=False, oov=False),
    "jieba search mode": dict(fold=True, oov=False),
    "+ OOV bigrams": dict(fold=True, oov=True),
}


def measure(corpus: Path, files: list[Path], fold: bool, oov: bool) -> dict[str, dict[str, float]]:
    tokenize_module.OOV_BIGRAMS = oov
    folder = tokenize_module.fold
    if not fold:
        tokenize_module.fold = lambda text: text
    try:
        passages = [p for d in load_documents(corpus) for p in d.passages]
        index = KeywordIndex.build([p.text for p in passages])
        questions = [q for f in files for q in load_questions(f) if q.lang == "zh" and q.answerable]
        out = {}
        for script, convert in (("zh-Hans", str), ("zh-Hant", to_traditional)):
            hit1 = recall = mrr = precision = 0.0
            for q in questions:
                _, rows = index.search([tokenize_module.tokenize(convert(q.question))], 10)
                hits = [r >= 0 and is_hit(Ranked(passages[r].text, passages[r].lang), q.gold) for r in rows[0]]
                first = next((i for i, h in enumerate(hits) if h), None)
                hit1 += first == 0
                recall += first is not None
                mrr += 1 / (first + 1) if first is not None else 0
                precision += sum(hits[:5]) / 5
            n = len(questions)
            out[script] = {"n": n, "hit@1": hit1 / n, "recall@10": recall / n, "mrr@10": mrr / n, "p@5": precision / n}
        return out
    finally:
        tokenize_module.fold = folder


def main() -> None:
    for set_name, (corpus, files) in SETS.items():
        for label, variant in VARIANTS.items():
            for script, m in measure(corpus, files, **variant).items():
                print(
                    f"{set_name:<13} {label:<20} {script}  "
                    + "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items())
                )


if __name__ == "__main__":
    main()
