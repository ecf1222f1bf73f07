"""The encyclopedia test set (tests/data/encyclopedia) stays valid: it parses into aligned pairs and
every gold snippet and answer is text the project's parser actually produces."""

from __future__ import annotations

import importlib.util
import json

import pytest

from qa.corpus.store import load_documents
from tests.conftest import DATA_DIR

FOLDER = DATA_DIR / "encyclopedia"
QUESTIONS = [
    json.loads(line) for line in (FOLDER / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
]


@pytest.fixture(scope="module")
def documents():
    return {doc.doc_id: doc for doc in load_documents(FOLDER)}


def test_the_stdlib_checker_passes(capsys):
    spec = importlib.util.spec_from_file_location("encyclopedia_check", FOLDER / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert check.main() == 0, capsys.readouterr().out


def test_each_article_is_five_paragraph_pairs_in_order(documents):
    assert len(documents) == 10
    for doc in documents.values():
        zh = [p for p in doc.passages if p.lang == "zh"]
        en = [p for p in doc.passages if p.lang == "en"]
        assert len(zh) == len(en) == 5, doc.doc_id
        # The first line is the title, not a passage; the numbered headings are sections.
        assert doc.title["en"] == (FOLDER / f"{doc.doc_id}.en.txt").read_text(encoding="utf-8").split("\n")[0]
        for z, e in zip(zh, en):
            assert [t.passage_id for t in z.translations] == [e.passage_id]
            assert [t.passage_id for t in e.translations] == [z.passage_id]


def test_gold_snippets_are_in_the_parsed_passage_they_name(documents):
    passages = {p.passage_id: p for doc in documents.values() for p in doc.passages}
    for q in QUESTIONS:
        if not q["gold"]:
            assert "answers" not in q
            continue
        slug, para = q["id"].removeprefix("enc-").rsplit("-", 2)[:2]
        number = int(para.removeprefix("p"))
        for lang in ("zh", "en"):
            passage = passages[f"{slug}.{lang}.{number:04d}"]
            assert all(g[lang] in passage.text for g in q["gold"]), q["id"]
            assert all(a in passage.text for a in q["answers"][lang]), q["id"]
