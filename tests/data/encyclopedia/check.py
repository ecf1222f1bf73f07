"""Check the encyclopedia test set: article layout, question ids, and that every gold snippet and
answer is an exact substring of the paragraph it points at, in its own language.

Run: python tests/data/encyclopedia/check.py   (stdlib only; exit status 1 on any problem)
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("zh", "en")
PARAGRAPHS = 5
# Section headings between paragraphs: "1. History" / "一、历史" (the project's parser reads them
# as headings, so the title line above the first one becomes front matter, not a passage).
HEADING = {"en": re.compile(r"^\d{1,2}\.\s+\S"), "zh": re.compile(r"^[一二三四五六七八九十]+、\S")}
ID = re.compile(r"^enc-(?P<slug>[a-z0-9-]+?)-(?:p(?P<k>\d+)-\d+|none-\d+)$")
EN_WORDS = (60, 140)


def read_article(path: Path, lang: str, problems: list[str]) -> tuple[str, list[str], list[str]]:
    """(title, headings, paragraphs) of one file."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    blocks = [line for line in lines if line]
    title, rest = blocks[0], blocks[1:]
    headings = [line for line in rest if HEADING[lang].match(line)]
    paragraphs = [line for line in rest if not HEADING[lang].match(line)]
    if len(paragraphs) != PARAGRAPHS or len(headings) != PARAGRAPHS:
        problems.append(f"{path.name}: {len(paragraphs)} paragraphs, {len(headings)} headings (want {PARAGRAPHS} each)")
    # Paragraphs are separated by blank lines: no two text lines may touch.
    for a, b in zip(lines, lines[1:]):
        if a and b:
            problems.append(f"{path.name}: no blank line between {a[:30]!r} and {b[:30]!r}")
    if lang == "en":
        for k, para in enumerate(paragraphs, 1):
            words = len(para.split())
            if not EN_WORDS[0] <= words <= EN_WORDS[1]:
                problems.append(f"{path.name} ¶{k}: {words} words (want {EN_WORDS[0]}–{EN_WORDS[1]})")
    return title, headings, paragraphs


def load_articles(problems: list[str]) -> dict[str, dict[str, list[str]]]:
    articles = {}
    for zh_path in sorted(HERE.glob("*.zh.txt")):
        slug = zh_path.name[: -len(".zh.txt")]
        en_path = HERE / f"{slug}.en.txt"
        if not en_path.exists():
            problems.append(f"{zh_path.name} has no {en_path.name}")
            continue
        articles[slug] = {lang: read_article(HERE / f"{slug}.{lang}.txt", lang, problems)[2] for lang in LANGS}
    return articles


def check_question(q: dict, articles: dict, problems: list[str]) -> None:
    qid = q.get("id", "?")
    m = ID.match(qid)
    if not m or m["slug"] not in articles:
        problems.append(f"{qid}: id does not name an article")
        return
    if q.get("lang") not in LANGS or not str(q.get("question", "")).strip():
        problems.append(f"{qid}: bad lang or empty question")
    if m["k"] is None:  # unanswerable
        if q.get("gold") != [] or "answers" in q:
            problems.append(f"{qid}: an unanswerable question has gold [] and no answers")
        return
    k = int(m["k"])
    if not 1 <= k <= PARAGRAPHS:
        problems.append(f"{qid}: no paragraph {k}")
        return
    paragraph = {lang: articles[m["slug"]][lang][k - 1] for lang in LANGS}
    if not q.get("gold"):
        problems.append(f"{qid}: answerable question without gold")
        return
    for gold in q["gold"]:
        for lang in LANGS:
            if gold.get(lang, "") not in paragraph[lang] or not gold.get(lang):
                problems.append(f"{qid}: gold[{lang}] {gold.get(lang)!r} is not in ¶{k}")
    for lang in LANGS:
        answers = q.get("answers", {}).get(lang) or []
        if not answers:
            problems.append(f"{qid}: no {lang} answer")
        for answer in answers:
            if answer not in paragraph[lang]:
                problems.append(f"{qid}: answer[{lang}] {answer!r} is not in ¶{k}")
            elif not any(answer in gold[lang] for gold in q["gold"]):
                problems.append(f"{qid}: answer[{lang}] {answer!r} is outside every gold snippet")


def main() -> int:
    problems: list[str] = []
    articles = load_articles(problems)
    questions = [
        json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    ids = Counter(q.get("id") for q in questions)
    problems += [f"{qid}: id used {n} times" for qid, n in ids.items() if n > 1]
    for q in questions:
        check_question(q, articles, problems)

    answerable = [q for q in questions if q.get("gold")]
    per_para = Counter(
        (ID.match(q["id"])["slug"], ID.match(q["id"])["k"], q["lang"]) for q in answerable if ID.match(q["id"])
    )
    for slug in articles:
        for k in range(1, PARAGRAPHS + 1):
            for lang in LANGS:
                if per_para[(slug, str(k), lang)] < 2:
                    problems.append(f"{slug} ¶{k}: fewer than 2 {lang} questions")
    words = [len(p.split()) for a in articles.values() for p in a["en"]]
    chars = [len(p) for a in articles.values() for p in a["zh"]]
    print(f"articles: {len(articles)}  paragraphs: {len(words)} en + {len(chars)} zh")
    if words:
        print(f"en words/paragraph: {min(words)}–{max(words)}  zh chars/paragraph: {min(chars)}–{max(chars)}")
    by_lang = Counter(q.get("lang") for q in answerable)
    unanswerable = Counter(q.get("lang") for q in questions if not q.get("gold"))
    print(
        f"questions: {len(questions)}  answerable: {len(answerable)} "
        f"(en {by_lang['en']}, zh {by_lang['zh']})  unanswerable: {sum(unanswerable.values())} "
        f"(en {unanswerable['en']}, zh {unanswerable['zh']})"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
