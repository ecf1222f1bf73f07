"""The parallel zh/en test sets (tests/data/encyclopedia, tests/data/fiction-qa) stay valid: each
parses into aligned pairs and every gold snippet and answer is text the project's parser actually
produces; the fiction set's gold snippets are also unique across its paragraphs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from qa.corpus.store import load_documents
from qa.eval.questions import load_questions
from tests.conftest import DATA_DIR

ENCYCLOPEDIA = DATA_DIR / "encyclopedia"
FICTION = DATA_DIR / "fiction-qa"
# folder -> (id prefix, documents, paragraphs per document: low, high)
SETS = {ENCYCLOPEDIA: ("enc-", 10, (5, 5)), FICTION: ("fic-", 3, (6, 8))}
FOLDERS = pytest.mark.parametrize("folder", list(SETS), ids=lambda folder: folder.name)


def read_questions(folder: Path) -> list[dict]:
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def passages_by_id(folder: Path) -> dict:
    return {p.passage_id: p for doc in load_documents(folder) for p in doc.passages}


def gold_passage_id(qid: str, prefix: str, lang: str) -> str:
    slug, para = qid.removeprefix(prefix).rsplit("-", 2)[:2]
    return f"{slug}.{lang}.{int(para.removeprefix('p')):04d}"


@FOLDERS
def test_the_stdlib_checker_passes(folder, capsys):
    spec = importlib.util.spec_from_file_location(f"{folder.name}_check", folder / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert check.main() == 0, capsys.readouterr().out


@FOLDERS
def test_only_the_pair_files_are_documents_each_sections_in_order(folder):
    _, count, (low, high) = SETS[folder]
    documents = {doc.doc_id: doc for doc in load_documents(folder)}
    # README.md, check.py and questions.jsonl sit in the folder but are not read as documents.
    assert set(documents) == {p.name.removesuffix(".en.txt") for p in folder.glob("*.en.txt")}
    assert len(documents) == count
    for doc in documents.values():
        zh = [p for p in doc.passages if p.lang == "zh"]
        en = [p for p in doc.passages if p.lang == "en"]
        assert low <= len(zh) == len(en) <= high, doc.doc_id
        # The first line is the title, not a passage; the numbered headings are sections.
        for lang in ("zh", "en"):
            first_line = (folder / f"{doc.doc_id}.{lang}.txt").read_text(encoding="utf-8").split("\n")[0]
            assert doc.title[lang] == first_line
        for z, e in zip(zh, en):
            assert [t.passage_id for t in z.translations] == [e.passage_id]
            assert [t.passage_id for t in e.translations] == [z.passage_id]


@FOLDERS
def test_gold_snippets_are_in_the_parsed_passage_they_name(folder):
    prefix = SETS[folder][0]
    passages = passages_by_id(folder)
    for q in read_questions(folder):
        if not q["gold"]:
            assert "answers" not in q
            continue
        for lang in ("zh", "en"):
            passage = passages[gold_passage_id(q["id"], prefix, lang)]
            assert all(g[lang] in passage.text for g in q["gold"]), q["id"]
            assert all(a in passage.text for a in q["answers"][lang]), q["id"]


def test_fiction_gold_snippets_occur_in_no_other_parsed_passage():
    passages = passages_by_id(FICTION)
    for q in read_questions(FICTION):
        for lang in ("zh", "en"):
            holders = [p.passage_id for p in passages.values() if any(g[lang] in p.text for g in q["gold"])]
            assert holders == [gold_passage_id(q["id"], "fic-", lang)], q["id"]


def test_qa_eval_reads_both_fiction_question_files():
    answerable = load_questions(FICTION / "questions.jsonl")
    unanswerable = load_questions(DATA_DIR / "nearmiss-fiction.jsonl")
    assert {q.kind for q in answerable} == {"answerable"}
    assert {q.kind for q in unanswerable} == {"near_miss", "off_topic"}
