"""Parsing the corpus: noise removal, structure, alignment, ids, other layouts, and `qa ingest`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.corpus.models import Document, Passage
from qa.corpus.parse import parse_path
from qa.index.build import LOW_ALIGNMENT_MARGIN, LOW_ALIGNMENT_SIMILARITY, build_index
from tests.conftest import CORPUS_DIR, PAPER, TINY_SECTION, paper_excerpt, swap_english, write_interleaved

PAPER_FILE = CORPUS_DIR / f"{PAPER}.zh-en.txt"
RAW_LINES = [line.strip() for line in PAPER_FILE.read_text(encoding="utf-8").splitlines()]
PREFACE_START = "地球是人类赖以生存的家园"


@pytest.fixture(scope="module")
def paper() -> Document:
    return parse_path(PAPER_FILE)


def by_start(doc: Document, start: str) -> Passage:
    """The one passage whose text starts with `start`."""
    found = [p for p in doc.passages if p.text.startswith(start)]
    assert len(found) == 1, f"{len(found)} passages start with {start!r}"
    return found[0]


def translation_ids(passage: Passage) -> list[str]:
    return [t.passage_id for t in passage.translations]


# --- the demo paper -------------------------------------------------------------------------


def test_the_paper_has_87_chinese_and_88_english_passages(paper):
    # One Chinese preface paragraph (中国一向重信守诺…) is translated as two English paragraphs,
    # so English has one passage more. The ten "•" lines are part of an English paragraph.
    assert (paper.count("zh"), paper.count("en")) == (87, 88)
    assert paper.doc_id == PAPER
    assert paper.format == "interleaved"
    assert paper.title == {
        "zh": "碳达峰碳中和的中国行动",
        "en": "Carbon Peaking and Carbon Neutrality: China’s Plans and Solutions",
    }


def test_no_passage_contains_the_watermark_header_or_table_of_contents(paper):
    texts = [p.text for p in paper.passages]
    assert not any("天之聪" in t or "CATTI" in t for t in texts)
    header = RAW_LINES[:3]
    assert header == ["国新办", "2025-11-12", "20次"]
    toc = RAW_LINES[RAW_LINES.index("目录") : RAW_LINES.index("天之聪CATTI")]
    assert "一、坚定不移推进碳达峰碳中和" in toc and "Conclusion" in toc
    for line in header + toc:
        assert line not in texts, f"page furniture {line!r} became a passage"
    assert not any(re.search(r"\b20次|2025-11-12|国新办", t) for t in texts)


def test_nothing_after_the_conclusion_survives_except_nothing(paper):
    footer = [line for line in RAW_LINES[RAW_LINES.index("点赞(0)") :] if line]
    assert any(line.startswith("外交部 2025-11-13") for line in footer)
    texts = [p.text for p in paper.passages]
    for line in footer:
        if line.startswith(PREFACE_START):
            continue  # the repeated preface paragraph: checked below
        assert not any(line in t for t in texts), f"footer line {line[:40]!r} leaked into a passage"
    for fragment in ("点赞", "收藏", "First of all, I have the honor", "特别是人工智能等前沿技术快速发展"):
        assert not any(fragment in t for t in texts)


def test_the_repeated_preface_paragraph_appears_once(paper):
    assert sum(line.startswith(PREFACE_START) for line in RAW_LINES) == 2  # the page repeats it
    first = by_start(paper, PREFACE_START)
    assert first.passage_id == f"{PAPER}.zh.0001"
    assert first.citation.section == ["前言"]


def test_every_chinese_passage_has_a_translation_and_every_english_one_is_reached(paper):
    ids = {p.passage_id: p for p in paper.passages}
    reached = set()
    for zh in (p for p in paper.passages if p.lang == "zh"):
        assert zh.translations, f"{zh.passage_id} has no translation"
        for tr in zh.translations:
            assert tr.lang == "en"
            assert tr.text == ids[tr.passage_id].text
            reached.add(tr.passage_id)
    english = {p.passage_id for p in paper.passages if p.lang == "en"}
    assert reached == english
    # Translation links go both ways.
    for passage in paper.passages:
        for tr in passage.translations:
            assert passage.passage_id in translation_ids(ids[tr.passage_id])


def test_one_chinese_paragraph_aligns_to_two_english_paragraphs(paper):
    zh = by_start(paper, "中国一向重信守诺")
    first = by_start(paper, "China always honors its commitments")
    second = by_start(paper, "China has established the most systematic")
    assert translation_ids(zh) == [first.passage_id, second.passage_id]
    assert translation_ids(first) == translation_ids(second) == [zh.passage_id]
    unit = next(a for a in paper.alignments if a.zh == [zh.passage_id])
    assert unit.en == [first.passage_id, second.passage_id]
    # Everything after the split still pairs up: the next paragraphs align to each other.
    assert translation_ids(by_start(paper, "2025年是《巴黎协定》达成十周年")) == [
        by_start(paper, "The year 2025 marks the 10th anniversary").passage_id
    ]


def test_the_ten_bullet_lines_belong_to_the_english_paragraph_that_introduces_them(paper):
    bullets = [line for line in RAW_LINES if line.startswith("•")]
    assert len(bullets) == 10
    en = by_start(paper, "Within this framework, the “1” stands for")
    assert en.text.count("•") == 10
    assert all(line in en.text for line in bullets)
    assert not any(p.text.startswith("•") for p in paper.passages)
    zh = by_start(paper, "“1”是中国实现碳达峰碳中和的指导思想")
    assert translation_ids(zh) == [en.passage_id]
    assert translation_ids(en) == [zh.passage_id]


@pytest.mark.parametrize(
    "start, section",
    [
        ("双轮驱动", ["一、坚定不移推进碳达峰碳中和", "(二)系统推进碳达峰碳中和工作"]),
        (PREFACE_START, ["前言"]),
        ("中国将碳达峰碳中和作为国家战略", ["一、坚定不移推进碳达峰碳中和"]),  # before any subsection
        ("面向未来,中国愿与国际社会一道", ["结束语"]),
        ("Earth is the only home of all humanity", ["Preface"]),
        ("Looking forward, China stands ready", ["Conclusion"]),
    ],
)
def test_section_paths_of_known_paragraphs(paper, start, section):
    assert by_start(paper, start).citation.section == section


def test_the_english_of_a_known_paragraph_sits_under_the_english_headings(paper):
    zh = by_start(paper, "双轮驱动")
    (en_id,) = translation_ids(zh)
    en = next(p for p in paper.passages if p.passage_id == en_id)
    assert en.citation.section == [
        "I. Staying Firmly Committed to Advancing Peak Carbon and Carbon Neutrality",
        "2. Promoting Peak Carbon and Carbon Neutrality Systematically",
    ]


def test_citation_labels_and_paragraph_numbers_count_per_language_from_one(paper):
    for lang in ("zh", "en"):
        passages = [p for p in paper.passages if p.lang == lang]
        assert [p.citation.paragraph for p in passages] == list(range(1, len(passages) + 1))
        for p in passages:
            c = p.citation
            assert c.doc_title == paper.title[lang]
            assert c.label == " · ".join([c.doc_title, *c.section, f"¶{c.paragraph}"])
    assert by_start(paper, "双轮驱动").citation.label == (
        "碳达峰碳中和的中国行动 · 一、坚定不移推进碳达峰碳中和 · (二)系统推进碳达峰碳中和工作 · ¶14"
    )


def test_ids_are_url_safe_and_stable_across_parses(paper):
    for p in paper.passages:
        assert re.fullmatch(rf"{PAPER}\.{p.lang}\.\d{{4}}", p.passage_id)
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", p.passage_id)  # RFC 3986 unreserved
        assert p.passage_id.endswith(f".{p.citation.paragraph:04d}")
    again = parse_path(PAPER_FILE)
    assert [p.model_dump() for p in again.passages] == [p.model_dump() for p in paper.passages]


# --- other layouts ----------------------------------------------------------------------------

PAIR_ZH = """绿色城市
一、总体要求
城市是人类活动的主要场所，推动城市绿色低碳发展十分重要。
各地因地制宜制定了城市低碳发展方案，明确了时间表和路线图。
二、主要举措
大力发展公共交通，鼓励市民绿色出行。
推广绿色建筑，提高新建建筑节能标准。
"""
PAIR_EN = """Green Cities
I. General Requirements
Cities are the main venues of human activity, so promoting green and low-carbon urban development is of great importance.
Localities have drawn up low-carbon development plans for their cities based on local conditions, with clear timetables and roadmaps.
II. Major Measures
Public transport is being developed vigorously and residents are encouraged to travel green.
Green buildings are promoted and energy efficiency standards for new buildings are raised.
"""


def write_pair(folder: Path, stem: str = "green-cities") -> Path:
    """`stem.zh.txt` + `stem.en.txt`; returns the Chinese half."""
    (folder / f"{stem}.en.txt").write_text(PAIR_EN, encoding="utf-8")
    zh = folder / f"{stem}.zh.txt"
    zh.write_text(PAIR_ZH, encoding="utf-8")
    return zh


def test_a_zh_en_file_pair_aligns_paragraph_i_to_paragraph_i(tmp_path):
    doc = parse_path(write_pair(tmp_path))
    assert (doc.doc_id, doc.format) == ("green-cities", "pair")
    assert doc.title == {"zh": "绿色城市", "en": "Green Cities"}
    zh = [p for p in doc.passages if p.lang == "zh"]
    en = [p for p in doc.passages if p.lang == "en"]
    assert len(zh) == len(en) == 4
    for z, e in zip(zh, en):
        assert translation_ids(z) == [e.passage_id]
        assert translation_ids(e) == [z.passage_id]
    assert zh[2].citation.section == ["二、主要举措"]
    assert en[2].citation.section == ["II. Major Measures"]
    assert en[0].citation.label == "Green Cities · I. General Requirements · ¶1"
    # Either half names the pair.
    assert parse_path(tmp_path / "green-cities.en.txt").model_dump() == doc.model_dump()


def test_a_monolingual_file_gives_passages_without_translations(tmp_path):
    path = tmp_path / "wind-notes.txt"
    path.write_text(
        "Wind Power Notes\n1. Onshore\nOnshore wind capacity has grown quickly in the north.\n"
        "2. Offshore\nOffshore wind farms are being built along the eastern coast.\n",
        encoding="utf-8",
    )
    doc = parse_path(path)
    assert doc.format == "monolingual"
    assert [p.passage_id for p in doc.passages] == ["wind-notes.en.0001", "wind-notes.en.0002"]
    assert all(p.translations == [] for p in doc.passages)
    assert doc.alignments == []
    # Subsections without a parent section are the top level: "2." replaces "1.", not nests.
    assert [p.citation.section for p in doc.passages] == [["1. Onshore"], ["2. Offshore"]]


SPLIT_DOC = """光伏发展
Solar Development
一、装机规模
I. Installed Capacity
中国光伏装机容量连续多年位居世界第一，产业链各环节产量占全球八成以上。
China has ranked first in the world in installed solar capacity for many years.
Its output accounts for more than 80 percent of global production in every link of the industrial chain.
光伏组件价格大幅下降。
发电成本随之降低。
Prices of solar modules have fallen sharply, lowering the cost of power generation accordingly.
二、技术进步
II. Technological Progress
电池转换效率不断刷新世界纪录，推动光伏发电成本持续下降。
Cell conversion efficiency keeps setting world records, driving down the cost of solar power.
"""


def test_interleaved_text_with_1_to_2_and_2_to_1_translations_aligns_by_length(tmp_path):
    path = tmp_path / "solar.zh-en.txt"
    path.write_text(SPLIT_DOC, encoding="utf-8")
    doc = parse_path(path)
    assert doc.format == "interleaved"
    units = [(a.zh, a.en) for a in doc.alignments]
    assert units == [
        (["solar.zh.0001"], ["solar.en.0001", "solar.en.0002"]),  # one zh line, English in two
        (["solar.zh.0002", "solar.zh.0003"], ["solar.en.0003"]),  # two zh lines, one English
        (["solar.zh.0004"], ["solar.en.0004"]),
    ]
    assert all(0.5 <= a.length_score <= 1.0 for a in doc.alignments)
    assert [p.citation.section for p in doc.passages if p.lang == "en"][-1] == ["II. Technological Progress"]


# --- alignment confidence at build time ------------------------------------------------------


def build_report(tmp_path: Path, body: list[str], encoder) -> dict:
    corpus = tmp_path / "corpus"
    corpus.mkdir(parents=True)
    write_interleaved(corpus / "tiny.zh-en.txt", body)
    folder = build_index(corpus, tmp_path / "index", encoder, progress=False)
    report = json.loads((folder / "manifest.json").read_text())["alignment"]
    report["passages"] = [
        Passage.model_validate_json(line)
        for line in (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return report


def uncertain_links(passages: list[Passage]) -> set[tuple[str, str]]:
    return {(p.passage_id, t.passage_id) for p in passages for t in p.translations if t.uncertain}


def test_build_reports_a_swapped_translation_as_low_confidence(tmp_path, encoder):
    body = paper_excerpt(*TINY_SECTION)
    right = build_report(tmp_path / "right", body, encoder)
    assert right["aligned_units"] == 4
    assert right["low_confidence"] == []

    # The first two English paragraphs exchanged: both units are now wrong.
    wrong = build_report(tmp_path / "wrong", swap_english(body, 0, 1), encoder)
    flagged = {unit["zh"][0]: unit for unit in wrong["low_confidence"]}
    assert set(flagged) == {"tiny.zh.0001", "tiny.zh.0002"}
    for unit in flagged.values():
        assert unit["margin"] < LOW_ALIGNMENT_MARGIN  # a rival paragraph fits better than the partner
        # Raw similarity alone cannot tell: a wrong pair within one paper scores like a right one.
        assert unit["similarity"] > LOW_ALIGNMENT_SIMILARITY
    # The doubtful links are kept and marked uncertain on both sides; the others are not marked.
    assert uncertain_links(wrong["passages"]) == {
        ("tiny.zh.0001", "tiny.en.0001"),
        ("tiny.en.0001", "tiny.zh.0001"),
        ("tiny.zh.0002", "tiny.en.0002"),
        ("tiny.en.0002", "tiny.zh.0002"),
    }
    assert uncertain_links(right["passages"]) == set()
    assert right["unlinked"] == [] and wrong["unlinked"] == []


def test_the_papers_alignment_report_trusts_every_unit(service):
    report = service.store.manifest["alignment"]
    assert report["aligned_units"] == 87
    assert report["low_confidence"] == []
    assert report["min_similarity"] > LOW_ALIGNMENT_SIMILARITY
    (doc,) = service.store.documents()
    assert min(unit["margin"] for unit in doc["alignments"]) > LOW_ALIGNMENT_MARGIN


# --- qa ingest --------------------------------------------------------------------------------


def test_qa_ingest_adds_a_document_that_search_then_finds(tiny_corpus, tmp_path, cli_env):
    cli_env(tiny_corpus, tmp_path / "index")
    new = write_pair(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(new)])
    assert result.exit_code == 0, result.output
    assert "added green-cities (pair): zh 4, en 4 passages" in result.output
    assert {p.name for p in tiny_corpus.iterdir()} == {"tiny.zh-en.txt", "green-cities.zh.txt", "green-cities.en.txt"}
    result = runner.invoke(cli, ["search", "市民绿色出行和公共交通", "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    top = json.loads(result.output)["results"]
    assert {r["passage_id"] for r in top} == {"green-cities.zh.0003", "green-cities.en.0003"}


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("", "no paragraphs found"),
        ("\n \n\t\n", "no paragraphs found"),
    ],
)
def test_qa_ingest_refuses_a_missing_or_empty_file_and_copies_nothing(tiny_corpus, tmp_path, cli_env, content, message):
    cli_env(tiny_corpus, tmp_path / "index")
    path = tmp_path / "empty.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert [p.name for p in tiny_corpus.iterdir()] == ["tiny.zh-en.txt"]


def test_qa_ingest_refuses_a_document_whose_id_is_taken(tiny_corpus, tmp_path, cli_env):
    cli_env(tiny_corpus, tmp_path / "index")
    clash = tmp_path / "tiny.txt"  # a different file that would also be doc_id "tiny"
    clash.write_text("Another tiny document about something else entirely.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(clash)])
    assert result.exit_code != 0
    assert "tiny" in result.output and "rename" in result.output
    assert [p.name for p in tiny_corpus.iterdir()] == ["tiny.zh-en.txt"]


def test_qa_ingest_takes_two_editions_in_two_formats_and_qa_documents_lists_them(tiny_corpus, tmp_path, cli_env):
    from tests.test_documents_api import section_editions

    cli_env(tiny_corpus, tmp_path / "index")
    zh_pdf, en_html = section_editions(tmp_path, units=3)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["ingest", "--zh", str(zh_pdf), "--en", str(en_html), "--doc-id", "energy", "--no-build"]
    )
    assert result.exit_code == 0, result.output
    assert "added energy (pair): zh 3, en 3 passages over 1 pages from energy.en.html + energy.zh.pdf" in result.output
    listing = runner.invoke(cli, ["documents"])
    assert "energy  not indexed" in listing.output
    assert runner.invoke(cli, ["build"]).exit_code == 0
    rows = {r["doc_id"]: r for r in json.loads(runner.invoke(cli, ["documents", "--json"]).output)}
    assert rows["energy"]["passages"] == {"zh": 3, "en": 3} and rows["energy"]["format"] == "pair"
    assert rows["energy"]["files"] == ["energy.en.html", "energy.zh.pdf"]
    assert rows["tiny"]["aligned_units"] == 4 and rows["tiny"]["weak_alignments"] == []
    text = runner.invoke(cli, ["documents"]).output
    assert "tiny  interleaved  zh 4 · en 4 passages  4 aligned units  0 weak" in text


def test_qa_ingest_refuses_a_hostile_file_and_copies_nothing(tiny_corpus, tmp_path, cli_env):
    import zipfile

    cli_env(tiny_corpus, tmp_path / "index")
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    result = CliRunner().invoke(cli, ["ingest", str(bomb)])
    assert result.exit_code != 0 and "zip bomb" in result.output
    assert [p.name for p in tiny_corpus.iterdir()] == ["tiny.zh-en.txt"]
