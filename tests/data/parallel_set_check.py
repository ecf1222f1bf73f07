"""Shared checks of the parallel zh/en test sets (encyclopedia, fiction-qa): pair-file layout,
question ids, and that every gold snippet and answer is an exact substring of the paragraph it
points at, in its own language. Each set's check.py passes its own SetRules. Stdlib only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

LANGS = ("zh", "en")
# Section headings between paragraphs: "1. History" / "一、历史" (the project's parser reads them
# as headings, so the title line above the first one becomes front matter, not a passage).
HEADING = {"en": re.compile(r"^\d{1,2}\.\s+\S"), "zh": re.compile(r"^[一二三四五六七八九十]+、\S")}


@dataclass(frozen=True)
class SetRules:
    folder: Path
    id_pattern: re.Pattern[str]  # groups: slug, and k (None for an unanswerable "none" id)
    sections: tuple[int, int]  # paragraphs per file, inclusive range; one heading each
    en_words: tuple[int, int]
    min_questions_per_paragraph: int
    unique_gold: bool  # a gold snippet may occur in no other paragraph of the set
    allow_unanswerable: bool  # ids like <prefix>-<slug>-none-N with gold [] and no answers


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_pair_file(path: Path, lang: str, rules: SetRules, problems: list[str]) -> list[str]:
    """The paragraphs of one file (the title line and the headings left out)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    rest = [line for line in lines if line][1:]
    headings = [line for line in rest if HEADING[lang].match(line)]
    paragraphs = [line for line in rest if not HEADING[lang].match(line)]
    low, high = rules.sections
    if not low <= len(paragraphs) <= high or len(headings) != len(paragraphs):
        want = f"{low}" if low == high else f"{low}–{high}"
        problems.append(
            f"{path.name}: {len(paragraphs)} paragraphs, {len(headings)} headings (want {want}, one heading each)"
        )
    # Paragraphs are separated by blank lines: no two text lines may touch.
    for a, b in zip(lines, lines[1:]):
        if a and b:
            problems.append(f"{path.name}: no blank line between {a[:30]!r} and {b[:30]!r}")
    if lang == "en":
        for k, para in enumerate(paragraphs, 1):
            words = len(para.split())
            if not rules.en_words[0] <= words <= rules.en_words[1]:
                problems.append(f"{path.name} ¶{k}: {words} words (want {rules.en_words[0]}–{rules.en_words[1]})")
    return paragraphs


def load_pairs(rules: SetRules, problems: list[str]) -> dict[str, dict[str, list[str]]]:
    """slug -> lang -> paragraphs, for every *.zh.txt with its *.en.txt."""
    pairs = {}
    for zh_path in sorted(rules.folder.glob("*.zh.txt")):
        slug = zh_path.name[: -len(".zh.txt")]
        en_path = rules.folder / f"{slug}.en.txt"
        if not en_path.exists():
            problems.append(f"{zh_path.name} has no {en_path.name}")
            continue
        pairs[slug] = {
            lang: read_pair_file(rules.folder / f"{slug}.{lang}.txt", lang, rules, problems) for lang in LANGS
        }
        if len(pairs[slug]["zh"]) != len(pairs[slug]["en"]):
            problems.append(f"{slug}: zh and en have different numbers of paragraphs")
    return pairs


def check_question(q: dict, pairs: dict, rules: SetRules, problems: list[str]) -> None:
    qid = q.get("id", "?")
    m = rules.id_pattern.match(qid)
    if not m or m["slug"] not in pairs:
        problems.append(f"{qid}: id does not name a paragraph of the set")
        return
    if q.get("lang") not in LANGS or not str(q.get("question", "")).strip():
        problems.append(f"{qid}: bad lang or empty question")
    if m["k"] is None:
        if not rules.allow_unanswerable:
            problems.append(f"{qid}: unanswerable ids are not allowed in this set")
        elif q.get("gold") != [] or "answers" in q:
            problems.append(f"{qid}: an unanswerable question has gold [] and no answers")
        return
    k = int(m["k"])
    if not 1 <= k <= min(len(pairs[m["slug"]][lang]) for lang in LANGS):
        problems.append(f"{qid}: no paragraph {k}")
        return
    paragraph = {lang: pairs[m["slug"]][lang][k - 1] for lang in LANGS}
    if not q.get("gold"):
        problems.append(f"{qid}: answerable question without gold")
        return
    everywhere = {lang: [p for pair in pairs.values() for p in pair[lang]] for lang in LANGS}
    for gold in q["gold"]:
        for lang in LANGS:
            snippet = gold.get(lang, "")
            if not snippet or snippet not in paragraph[lang]:
                problems.append(f"{qid}: gold[{lang}] {snippet!r} is not in ¶{k}")
            elif rules.unique_gold and sum(snippet in p for p in everywhere[lang]) != 1:
                problems.append(f"{qid}: gold[{lang}] {snippet!r} occurs in more than one paragraph")
    for lang in LANGS:
        answers = q.get("answers", {}).get(lang) or []
        if not answers:
            problems.append(f"{qid}: no {lang} answer")
        for answer in answers:
            if answer not in paragraph[lang]:
                problems.append(f"{qid}: answer[{lang}] {answer!r} is not in ¶{k}")
            elif not any(answer in gold.get(lang, "") for gold in q["gold"]):
                problems.append(f"{qid}: answer[{lang}] {answer!r} is outside every gold snippet")


def check_questions(questions: list[dict], pairs: dict, rules: SetRules, problems: list[str]) -> None:
    """Each question on its own, then enough answerable questions for every paragraph and language."""
    for q in questions:
        check_question(q, pairs, rules, problems)
    per_para = Counter(
        (m["slug"], int(m["k"]), q.get("lang"))
        for q in questions
        if q.get("gold") and (m := rules.id_pattern.match(q.get("id", ""))) and m["k"] is not None
    )
    need = rules.min_questions_per_paragraph
    for slug, pair in pairs.items():
        for k in range(1, len(pair["en"]) + 1):
            for lang in LANGS:
                if per_para[(slug, k, lang)] < need:
                    problems.append(f"{slug} ¶{k}: fewer than {need} {lang} question(s)")


def check_unique_ids(questions: list[dict], problems: list[str]) -> None:
    ids = Counter(q.get("id") for q in questions)
    problems += [f"{qid}: id used {n} times" for qid, n in ids.items() if n > 1]


def print_paragraph_sizes(pairs: dict, noun: str) -> None:
    words = [len(p.split()) for pair in pairs.values() for p in pair["en"]]
    chars = [len(p) for pair in pairs.values() for p in pair["zh"]]
    print(f"{noun}: {len(pairs)}  paragraphs: {len(words)} en + {len(chars)} zh")
    if words:
        print(f"en words/paragraph: {min(words)}–{max(words)}  zh chars/paragraph: {min(chars)}–{max(chars)}")


def report(problems: list[str]) -> int:
    """Print the problems; the exit status (1 on any problem)."""
    for problem in problems:
        print("PROBLEM:", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0
