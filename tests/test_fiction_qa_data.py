"""The fiction test set (tests/data/fiction-qa) stays valid: it parses into aligned pairs and every
gold snippet and answer is text the project's parser actually produces."""

from __future__ import annotations

import importlib.util
import json

import pytest

from qa.corpus.store import load_documents
from qa.eval.questions import load_questions
from tests.conftest import DATA_DIR

FOLDER = DATA_DIR / "fiction-qa"
NEAR_MISSES = DATA_DIR / "nearmiss-fiction.jsonl"
QUESTIONS = [
    json.loads(line) for line in (FOLDER / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
]


@pytest.fixture(scope="module")
def documents():
    return {doc.doc_id: doc for doc in load_documents(FOLDER)}


def test_the_stdlib_checker_passes(capsys):
    spec = importlib.util.spec_from_file_location("fiction_qa_check", FOLDER / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert check.main() == 0, capsys.readouterr().out


def test_only_the_stories_are_documents(documents):
    # README.md, check.py and questions.jsonl sit in the folder but are not read as documents.
    assert set(documents) == {p.name.removesuffix(".en.txt") for p in FOLDER.glob("*.en.txt")}
    assert len(documents) == 3


def test_each_story_is_section_pairs_in_order(documents):
    for doc in documents.values():
        zh = [p for p in doc.passages if p.lang == "zh"]
        en = [p for p in doc.passages if p.lang == "en"]
        assert 6 <= len(zh) == len(en) <= 8, doc.doc_id
        # The first line is the title, not a passage; the numbered headings are sections.
        for lang in ("zh", "en"):
            first_line = (FOLDER / f"{doc.doc_id}.{lang}.txt").read_text(encoding="utf-8").split("\n")[0]
            assert doc.title[lang] == first_line
        for z, e in zip(zh, en):
            assert [t.passage_id for t in z.translations] == [e.passage_id]
            assert [t.passage_id for t in e.translations] == [z.passage_id]


def test_gold_snippets_are_in_the_parsed_passage_they_name(documents):
    passages = {p.passage_id: p for doc in documents.values() for p in doc.passages}
    for q in QUESTIONS:
        slug, para = q["id"].removeprefix("fic-").rsplit("-", 2)[:2]
        number = int(para.removeprefix("p"))
        for lang in ("zh", "en"):
            passage = passages[f"{slug}.{lang}.{number:04d}"]
            assert all(g[lang] in passage.text for g in q["gold"]), q["id"]
            assert all(a in passage.text for a in q["answers"][lang]), q["id"]
            holders = [p.passage_id for p in passages.values() if any(g[lang] in p.text for g in q["gold"])]
            assert holders == [passage.passage_id], q["id"]


def test_qa_eval_reads_both_question_files():
    answerable = load_questions(FOLDER / "questions.jsonl")
    unanswerable = load_questions(NEAR_MISSES)
    assert {q.kind for q in answerable} == {"answerable"}
    assert {q.kind for q in unanswerable} == {"near_miss", "off_topic"}
