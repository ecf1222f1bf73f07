"""Check the fiction test set: story layout, question ids, that every gold snippet and answer is an
exact substring of the paragraph it points at (in its own language) and of no other paragraph, and
that the near misses of ../nearmiss-fiction.jsonl are well formed.

Run: python tests/data/fiction-qa/check.py   (stdlib only; exit status 1 on any problem)
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEAR_MISSES = HERE.parent / "nearmiss-fiction.jsonl"
LANGS = ("zh", "en")
SECTIONS = (6, 8)
# Section headings between paragraphs: "1. The Niece" / "一、侄女" (the project's parser reads them
# as headings, so the title line above the first one becomes front matter, not a passage).
HEADING = {"en": re.compile(r"^\d{1,2}\.\s+\S"), "zh": re.compile(r"^[一二三四五六七八九十]+、\S")}
ID = re.compile(r"^fic-(?P<slug>[a-z0-9-]+?)-p(?P<k>\d+)-\d+$")
EN_WORDS = (80, 140)
NEAR_MISS_KINDS = ("near_miss", "off_topic")


def read_story(path: Path, lang: str, problems: list[str]) -> list[str]:
    """The paragraphs of one file (the title line and the headings left out)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    rest = [line for line in lines if line][1:]
    headings = [line for line in rest if HEADING[lang].match(line)]
    paragraphs = [line for line in rest if not HEADING[lang].match(line)]
    if not SECTIONS[0] <= len(paragraphs) <= SECTIONS[1] or len(headings) != len(paragraphs):
        problems.append(
            f"{path.name}: {len(paragraphs)} paragraphs, {len(headings)} headings "
            f"(want {SECTIONS[0]}–{SECTIONS[1]}, one heading each)"
        )
    # Paragraphs are separated by blank lines: no two text lines may touch.
    for a, b in zip(lines, lines[1:]):
        if a and b:
            problems.append(f"{path.name}: no blank line between {a[:30]!r} and {b[:30]!r}")
    if lang == "en":
        for k, para in enumerate(paragraphs, 1):
            words = len(para.split())
            if not EN_WORDS[0] <= words <= EN_WORDS[1]:
                problems.append(f"{path.name} ¶{k}: {words} words (want {EN_WORDS[0]}–{EN_WORDS[1]})")
    return paragraphs


def load_stories(problems: list[str]) -> dict[str, dict[str, list[str]]]:
    stories = {}
    for zh_path in sorted(HERE.glob("*.zh.txt")):
        slug = zh_path.name[: -len(".zh.txt")]
        en_path = HERE / f"{slug}.en.txt"
        if not en_path.exists():
            problems.append(f"{zh_path.name} has no {en_path.name}")
            continue
        stories[slug] = {lang: read_story(HERE / f"{slug}.{lang}.txt", lang, problems) for lang in LANGS}
        if len(stories[slug]["zh"]) != len(stories[slug]["en"]):
            problems.append(f"{slug}: zh and en have different numbers of paragraphs")
    return stories


def check_question(q: dict, stories: dict, problems: list[str]) -> None:
    qid = q.get("id", "?")
    m = ID.match(qid)
    if not m or m["slug"] not in stories:
        problems.append(f"{qid}: id does not name a story paragraph")
        return
    if q.get("lang") not in LANGS or not str(q.get("question", "")).strip():
        problems.append(f"{qid}: bad lang or empty question")
    k = int(m["k"])
    if not 1 <= k <= min(len(stories[m["slug"]][lang]) for lang in LANGS):
        problems.append(f"{qid}: no paragraph {k}")
        return
    paragraph = {lang: stories[m["slug"]][lang][k - 1] for lang in LANGS}
    if not q.get("gold"):
        problems.append(f"{qid}: an answerable question without gold (near misses go to {NEAR_MISSES.name})")
        return
    everywhere = {lang: [p for story in stories.values() for p in story[lang]] for lang in LANGS}
    for gold in q["gold"]:
        for lang in LANGS:
            snippet = gold.get(lang, "")
            if not snippet or snippet not in paragraph[lang]:
                problems.append(f"{qid}: gold[{lang}] {snippet!r} is not in ¶{k}")
            elif sum(snippet in p for p in everywhere[lang]) != 1:
                problems.append(f"{qid}: gold[{lang}] {snippet!r} occurs in more than one paragraph")
    for lang in LANGS:
        answers = q.get("answers", {}).get(lang) or []
        if not answers:
            problems.append(f"{qid}: no {lang} answer")
        for answer in answers:
            if not any(answer in gold[lang] for gold in q["gold"]):
                problems.append(f"{qid}: answer[{lang}] {answer!r} is outside every gold snippet")


def check_near_misses(questions: list[dict], problems: list[str]) -> None:
    for q in questions:
        qid = q.get("id", "?")
        if q.get("kind") not in NEAR_MISS_KINDS or q.get("gold") != [] or "answers" in q:
            problems.append(f"{qid}: a near miss has a kind in {NEAR_MISS_KINDS}, gold [] and no answers")
        if q.get("lang") not in LANGS or not str(q.get("question", "")).strip():
            problems.append(f"{qid}: bad lang or empty question")
    near = Counter(q.get("lang") for q in questions if q.get("kind") == "near_miss")
    if sum(near.values()) < 30 or abs(near["zh"] - near["en"]) > 2:
        problems.append(f"near misses: {dict(near)} (want at least 30, zh and en evenly)")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    problems: list[str] = []
    stories = load_stories(problems)
    questions = read_jsonl(HERE / "questions.jsonl")
    near_misses = read_jsonl(NEAR_MISSES)
    ids = Counter(q.get("id") for q in questions + near_misses)
    problems += [f"{qid}: id used {n} times" for qid, n in ids.items() if n > 1]
    for q in questions:
        check_question(q, stories, problems)
    check_near_misses(near_misses, problems)

    per_para = Counter((m["slug"], int(m["k"]), q.get("lang")) for q in questions if (m := ID.match(q.get("id", ""))))
    for slug, story in stories.items():
        for k in range(1, len(story["en"]) + 1):
            for lang in LANGS:
                if per_para[(slug, k, lang)] < 1:
                    problems.append(f"{slug} ¶{k}: no {lang} question")
    words = [len(p.split()) for s in stories.values() for p in s["en"]]
    chars = [len(p) for s in stories.values() for p in s["zh"]]
    print(f"stories: {len(stories)}  paragraphs: {len(words)} en + {len(chars)} zh")
    if words:
        print(f"en words/paragraph: {min(words)}–{max(words)}  zh chars/paragraph: {min(chars)}–{max(chars)}")
    by_lang = Counter(q.get("lang") for q in questions)
    by_kind = Counter((q.get("kind"), q.get("lang")) for q in near_misses)
    print(
        f"answerable: {len(questions)} (en {by_lang['en']}, zh {by_lang['zh']})  "
        f"near misses: {by_kind[('near_miss', 'en')] + by_kind[('near_miss', 'zh')]} "
        f"(en {by_kind[('near_miss', 'en')]}, zh {by_kind[('near_miss', 'zh')]})  "
        f"off topic: {by_kind[('off_topic', 'en')] + by_kind[('off_topic', 'zh')]}"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
