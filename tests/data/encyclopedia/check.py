"""Check the encyclopedia test set: article layout (5 sections), question ids, and that every gold
snippet and answer is an exact substring of the paragraph it points at, in its own language.
The checks themselves are in ../parallel_set_check.py.

Run: python tests/data/encyclopedia/check.py   (stdlib only; exit status 1 on any problem)
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a plain script, so the shared module beside this folder is not importable otherwise.
sys.path.insert(0, str(HERE.parent))

import parallel_set_check as shared  # noqa: E402

RULES = shared.SetRules(
    folder=HERE,
    id_pattern=re.compile(r"^enc-(?P<slug>[a-z0-9-]+?)-(?:p(?P<k>\d+)-\d+|none-\d+)$"),
    sections=(5, 5),
    en_words=(60, 140),
    min_questions_per_paragraph=2,
    unique_gold=False,
    allow_unanswerable=True,
)


def main() -> int:
    problems: list[str] = []
    articles = shared.load_pairs(RULES, problems)
    questions = shared.read_jsonl(HERE / "questions.jsonl")
    shared.check_unique_ids(questions, problems)
    shared.check_questions(questions, articles, RULES, problems)
    shared.print_paragraph_sizes(articles, "articles")
    answerable = [q for q in questions if q.get("gold")]
    by_lang = Counter(q.get("lang") for q in answerable)
    unanswerable = Counter(q.get("lang") for q in questions if not q.get("gold"))
    print(
        f"questions: {len(questions)}  answerable: {len(answerable)} "
        f"(en {by_lang['en']}, zh {by_lang['zh']})  unanswerable: {sum(unanswerable.values())} "
        f"(en {unanswerable['en']}, zh {unanswerable['zh']})"
    )
    return shared.report(problems)


if __name__ == "__main__":
    sys.exit(main())
