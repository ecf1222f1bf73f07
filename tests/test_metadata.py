"""Document metadata from each source (sidecar, front matter, the file's own properties), its
precedence, its place in the corpus checksum, and its inheritance by every passage."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest

from qa.corpus.errors import CorpusError
from qa.corpus.metadata import MetadataError, check_metadata, pdf_date, split_front_matter
from qa.corpus.store import corpus_checksum, load_documents

FRONT = "---\ntitle: Pandas\ndate: 2024-05-01\ntags: [public, animals]\nurl: https://example.org/p\n---\n"


def by_id(folder: Path) -> dict:
    return {d.doc_id: d for d in load_documents(folder)}


def test_front_matter_is_metadata_and_not_text(tmp_path):
    (tmp_path / "panda.md").write_text(FRONT + "# Pandas\n\nThe giant panda eats bamboo.\n", encoding="utf-8")
    doc = by_id(tmp_path)["panda"]
    assert doc.metadata == {
        "title": "Pandas",
        "date": "2024-05-01",  # a YAML date becomes its ISO text
        "tags": ["public", "animals"],
        "url": "https://example.org/p",
    }
    assert all("---" not in p.text and "tags" not in p.text for p in doc.passages)
    assert all(p.metadata == doc.metadata for p in doc.passages)


def test_a_sidecar_beats_front_matter_and_covers_both_editions(tmp_path):
    (tmp_path / "panda.md").write_text(FRONT + "The giant panda eats bamboo.\n", encoding="utf-8")
    (tmp_path / "panda.meta.json").write_text(json.dumps({"tags": ["internal"], "owner": "zoo"}))
    (tmp_path / "river.zh.txt").write_text("多瑙河是欧洲第二长河。\n", encoding="utf-8")
    (tmp_path / "river.en.txt").write_text("The Danube is Europe's second-longest river.\n", encoding="utf-8")
    (tmp_path / "river.meta.json").write_text(json.dumps({"tags": ["public"]}))
    docs = by_id(tmp_path)
    assert docs["panda"].metadata["tags"] == ["internal"] and docs["panda"].metadata["title"] == "Pandas"
    assert docs["panda"].metadata["owner"] == "zoo"
    assert {p.lang for p in docs["river"].passages} == {"zh", "en"}
    assert all(p.metadata == {"tags": ["public"]} for p in docs["river"].passages)


def test_docx_title_and_date_are_read_and_a_sidecar_overrides_them(tmp_path):
    document = docx.Document()
    document.core_properties.title = "Annual report"
    document.core_properties.created = dt.datetime(2023, 4, 15, 9, 30)
    document.add_paragraph("Revenue grew in every region this year.")
    document.save(tmp_path / "report.docx")
    assert by_id(tmp_path)["report"].metadata == {"title": "Annual report", "date": "2023-04-15"}
    (tmp_path / "report.meta.json").write_text(json.dumps({"title": "Report 2023"}))
    assert by_id(tmp_path)["report"].metadata == {"title": "Report 2023", "date": "2023-04-15"}


def test_a_sidecar_change_changes_the_corpus_checksum(tmp_path):
    (tmp_path / "panda.md").write_text("The giant panda eats bamboo.\n", encoding="utf-8")
    before = corpus_checksum(tmp_path)
    (tmp_path / "panda.meta.json").write_text(json.dumps({"tags": ["a"]}))
    tagged = corpus_checksum(tmp_path)
    (tmp_path / "panda.meta.json").write_text(json.dumps({"tags": ["b"]}))
    assert len({before, tagged, corpus_checksum(tmp_path)}) == 3


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"tags": "ok", "year": 2024}, "year"),  # strict JSON: numbers are not strings
        ({"tags": ["a", 1]}, "tags"),
        ({"doc_id": "x"}, "doc_id"),
        ({"bad key": "x"}, "bad key"),
        (["not", "an", "object"], "metadata"),
    ],
)
def test_wrong_metadata_is_refused_naming_the_field(raw, field):
    with pytest.raises(MetadataError) as caught:
        check_metadata(raw)
    assert caught.value.field == field


def test_a_broken_sidecar_fails_the_build_naming_the_file(tmp_path):
    (tmp_path / "panda.md").write_text("The giant panda eats bamboo.\n", encoding="utf-8")
    (tmp_path / "panda.meta.json").write_text("{not json")
    with pytest.raises(CorpusError, match="panda.meta.json"):
        load_documents(tmp_path)


def test_front_matter_edge_cases():
    assert split_front_matter("no front matter\n---\n") == ({}, "no front matter\n---\n")
    meta, body = split_front_matter("---\ndraft: true\nversion: 2\n---\nText\n")
    assert meta == {"draft": "true", "version": "2"} and body == "Text\n"
    assert pdf_date("D:20230415093000+08'00'") == "2023-04-15" and pdf_date("junk") == ""
