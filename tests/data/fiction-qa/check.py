"""Check the fiction test set: story layout (6–8 sections), question ids, that every gold snippet
and answer is an exact substring of the paragraph it points at (in its own language) and of no
other paragraph, and that the near misses of ../nearmiss-fiction.jsonl are well formed.
The shared checks are in ../parallel_set_check.py.

Run: python tests/data/fiction-qa/check.py   (stdlib only; exit status 1 on any problem)
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

NEAR_MISSES = HERE.parent / "nearmiss-fiction.jsonl"
NEAR_MISS_KINDS = ("near_miss", "off_topic")
# Stories run 6–8 sections; every question here is answerable (no "none" ids).
ID = re.compile(r"^fic-(?P<slug>[a-z0-9-]+?)-p(?P<k>\d+)-\d+$")
SECTIONS = (6, 8)
RULES = shared.SetRules(
    folder=HERE,
    id_pattern=ID,
    sections=SECTIONS,
    en_words=(80, 140),
    min_questions_per_paragraph=1,
    unique_gold=True,
    allow_unanswerable=False,  # unanswerable questions live in NEAR_MISSES
)


def check_near_misses(questions: list[dict], problems: list[str]) -> None:
    for q in questions:
        qid = q.get("id", "?")
        if q.get("kind") not in NEAR_MISS_KINDS or q.get("gold") != [] or "answers" in q:
            problems.append(f"{qid}: a near miss has a kind in {NEAR_MISS_KINDS}, gold [] and no answers")
        if q.get("lang") not in shared.LANGS or not str(q.get("question", "")).strip():
            problems.append(f"{qid}: bad lang or empty question")
    near = Counter(q.get("lang") for q in questions if q.get("kind") == "near_miss")
    if sum(near.values()) < 30 or abs(near["zh"] - near["en"]) > 2:
        problems.append(f"near misses: {dict(near)} (want at least 30, zh and en evenly)")


def main() -> int:
    problems: list[str] = []
    stories = shared.load_pairs(RULES, problems)
    questions = shared.read_jsonl(HERE / "questions.jsonl")
    near_misses = shared.read_jsonl(NEAR_MISSES)
    shared.check_unique_ids(questions + near_misses, problems)
    shared.check_questions(questions, stories, RULES, problems)
    check_near_misses(near_misses, problems)
    shared.print_paragraph_sizes(stories, "stories")
    by_lang = Counter(q.get("lang") for q in questions)
    by_kind = Counter((q.get("kind"), q.get("lang")) for q in near_misses)
    print(
        f"answerable: {len(questions)} (en {by_lang['en']}, zh {by_lang['zh']})  "
        f"near misses: {by_kind[('near_miss', 'en')] + by_kind[('near_miss', 'zh')]} "
        f"(en {by_kind[('near_miss', 'en')]}, zh {by_kind[('near_miss', 'zh')]})  "
        f"off topic: {by_kind[('off_topic', 'en')] + by_kind[('off_topic', 'zh')]}"
    )
    return shared.report(problems)


if __name__ == "__main__":
    sys.exit(main())
