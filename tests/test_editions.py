"""Two language editions of one document, in two formats, aligned by meaning against a known truth.

The demo paper's interleaved file gives the true alignment; tests/editions_sim.py rebuilds it
as a Chinese PDF and an English web page that differ the way separate editions do (merged,
split and missing paragraphs, stray lines), with fixed seeds. Strict F1 counts a bead as right
only when both of its sides are exactly right.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.corpus.editions import editions_document
from qa.corpus.parse import parse_path
from qa.corpus.readers import Block, Blocks, read_file
from qa.corpus.sources import corpus_sources, parse_source
from qa.corpus.store import load_documents
from qa.text.script import script_of, to_traditional
from tests.conftest import CORPUS_DIR, PAPER
from tests.editions_sim import (
    GenPara,
    Scenario,
    make_edition_pair,
    predicted_beads,
    strict_f1,
    true_beads,
    truth_units,
    write_html,
    write_pdf,
)
from tests.fiction_sim import FOLDER as FICTION_DIR
from tests.fiction_sim import story, write_story

PAPER_FILE = CORPUS_DIR / f"{PAPER}.zh-en.txt"
SEEDS = (1, 2, 3)
MERGE_SPLIT = Scenario("15% merged + 10% split", merge=0.15, split=0.10)
DROP_NOISE = Scenario("+ 5% dropped + noise lines", merge=0.15, split=0.10, drop=0.05, noise=0.05)


@pytest.fixture(scope="module")
def embed():
    """The real model (1 thread), each distinct text embedded once for the whole module."""
    from qa.embed.model import load_encoder

    encoder = load_encoder("multilingual-e5-small", threads=1)
    cache: dict[str, np.ndarray] = {}

    def _embed(texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        if todo:
            cache.update(zip(todo, encoder.encode_documents(todo)))
        return np.stack([cache[t] for t in texts])

    return _embed


@pytest.fixture(scope="module")
def paper():
    return parse_path(PAPER_FILE)


def edition_f1(paper, scenario: Scenario, seed: int, folder, embed) -> float:
    editions = make_edition_pair(truth_units(paper), scenario, seed)
    zh = read_file(write_pdf(editions["zh"], paper.title["zh"], folder / f"paper-{seed}.zh.pdf"))
    en = read_file(write_html(editions["en"], paper.title["en"], folder / f"paper-{seed}.en.html"))
    doc = editions_document("paper", zh, en, "paper.zh.pdf + paper.en.html", embed)
    return strict_f1(predicted_beads(doc, editions), true_beads(editions))


@pytest.mark.parametrize("scenario,floor", [(MERGE_SPLIT, 0.95), (DROP_NOISE, 0.85)], ids=["merge-split", "drop-noise"])
def test_a_chinese_pdf_and_an_english_web_page_align_by_meaning(
    paper, scenario, floor, tmp_path, embed, record_property
):
    scores = [edition_f1(paper, scenario, seed, tmp_path, embed) for seed in SEEDS]
    record_property("strict_f1", scores)
    print(f"\n{scenario.name}: strict F1 per seed {[round(s, 3) for s in scores]}")
    assert min(scores) >= floor, f"{scenario.name}: strict F1 {scores} below {floor}"


def test_paragraph_length_alone_loses_the_thread_when_paragraphs_go_missing(paper, tmp_path, embed):
    # Why embeddings: the same editions, aligned by length only, fall far below the floor.
    editions = make_edition_pair(truth_units(paper), DROP_NOISE, SEEDS[0])
    zh = read_file(write_pdf(editions["zh"], paper.title["zh"], tmp_path / "p.zh.pdf"))
    en = read_file(write_html(editions["en"], paper.title["en"], tmp_path / "p.en.html"))
    truth = true_beads(editions)
    by_length = strict_f1(predicted_beads(editions_document("p", zh, en, "", None), editions), truth)
    by_meaning = strict_f1(predicted_beads(editions_document("p", zh, en, "", embed), editions), truth)
    assert by_length < 0.8 < by_meaning


def test_equal_editions_whose_paragraphs_match_align_one_to_one(paper, embed):
    zh_texts = [p.text for p in paper.passages if p.lang == "zh"][:12]
    en_texts = [next(t.text for t in p.translations) for p in paper.passages if p.lang == "zh"][:12]
    # Lengths that fool a length aligner: a long Chinese paragraph beside a short English one.
    zh = Blocks([Block(t) for t in zh_texts])
    en = Blocks([Block(t) for t in en_texts])
    doc = editions_document("twelve", zh, en, "", embed)
    assert [(len(a.zh), len(a.en)) for a in doc.alignments] == [(1, 1)] * 12
    for k, alignment in enumerate(doc.alignments, 1):
        assert alignment.zh == [f"twelve.zh.{k:04d}"] and alignment.en == [f"twelve.en.{k:04d}"]
        assert alignment.similarity is not None and alignment.similarity > 0.7


def test_a_txt_pair_is_aligned_by_meaning_when_embed_is_given(paper, tmp_path, embed):
    editions = make_edition_pair(truth_units(paper), DROP_NOISE, SEEDS[1])
    for lang in ("zh", "en"):
        lines = []
        section: list[str] = []
        for para in editions[lang]:
            lines += [h for h in para.section if h not in section]
            section = para.section
            lines.append(para.text)
        (tmp_path / f"paper.{lang}.txt").write_text("\n".join(lines), encoding="utf-8")
    (source,) = corpus_sources(tmp_path)
    assert source.is_pair
    by_meaning = parse_source(source, embed)
    by_length = parse_source(source, None)
    assert (by_meaning.aligned_by, by_length.aligned_by) == ("meaning", "length")
    truth = true_beads(editions)
    assert strict_f1(predicted_beads(by_meaning, editions), truth) >= 0.85
    assert strict_f1(predicted_beads(by_meaning, editions), truth) > strict_f1(
        predicted_beads(by_length, editions), truth
    )


def test_the_interleaved_paper_parses_the_same_with_or_without_embed(paper, embed):
    # The interleaved layout's ground truth is its line order: embeddings never re-align it.
    with_embed = load_documents(CORPUS_DIR, embed=embed)
    without = load_documents(CORPUS_DIR)
    (doc,) = [d for d in with_embed if d.doc_id == PAPER]
    (plain,) = [d for d in without if d.doc_id == PAPER]
    assert (doc.count("zh"), doc.count("en")) == (87, 88)
    assert [p.passage_id for p in doc.passages] == [p.passage_id for p in paper.passages]
    assert doc.model_dump(exclude={"files", "aligned_by"}) == paper.model_dump(exclude={"files", "aligned_by"})
    assert doc.model_dump() == plain.model_dump()


# --- long fiction: editions of one length pair paragraph for paragraph ---------------------------


def test_an_equal_length_story_of_short_lines_aligns_one_to_one(embed):
    # 221 paragraphs a side, runs of look-alike lines of dialogue ("“嗯。”" / "\"Mm.\"").
    (source,) = corpus_sources(FICTION_DIR)
    doc = parse_source(source, embed)
    assert doc.count("zh") == doc.count("en") == len(story()) + 1  # + the title line
    links = [(p.citation.paragraph, [t.passage_id for t in p.translations]) for p in doc.passages if p.lang == "zh"]
    assert links == [(k, [f"{doc.doc_id}.en.{k:04d}"]) for k in range(1, len(links) + 1)]


def test_the_story_files_are_what_the_generator_writes(tmp_path):
    zh, en = write_story(tmp_path)
    for path in (zh, en):
        assert path.read_text(encoding="utf-8") == (FICTION_DIR / path.name).read_text(encoding="utf-8")


def test_a_merge_and_a_split_that_balance_out_are_still_found(paper, embed):
    # Same paragraph count, but the text says otherwise: the Chinese merges units 20+21, the
    # English 30+31, and the paragraphs between are shifted by one.
    units = [u for u in truth_units(paper) if len(u["zh"]) == len(u["en"]) == 1][:60]
    editions = {lang: [GenPara(u[lang][0], frozenset({k})) for k, u in enumerate(units)] for lang in ("zh", "en")}
    for lang, k in (("zh", 20), ("en", 30)):
        first, second = editions[lang][k], editions[lang].pop(k + 1)
        editions[lang][k] = GenPara(
            first.text + ("" if lang == "zh" else " ") + second.text, first.units | second.units
        )
    doc = editions_document(
        "d", Blocks([Block(p.text) for p in editions["zh"]]), Blocks([Block(p.text) for p in editions["en"]]), "", embed
    )
    position = {
        p.passage_id: k for lang in ("zh", "en") for k, p in enumerate(q for q in doc.passages if q.lang == lang)
    }
    predicted = {(frozenset(position[i] for i in a.zh), frozenset(position[i] for i in a.en)) for a in doc.alignments}
    assert strict_f1(predicted, true_beads(editions)) == 1.0


# --- the PDF edition's text, and a Traditional Chinese edition --------------------------------


def test_the_pdf_edition_gives_the_chinese_paragraphs_exactly_as_written(paper, tmp_path):
    editions = make_edition_pair(truth_units(paper), Scenario("as published"), SEEDS[0])
    blocks = read_file(write_pdf(editions["zh"], paper.title["zh"], tmp_path / "paper.zh.pdf"))
    read = {b.text for b in blocks.blocks if not b.heading}
    exact = sum(p.text in read for p in editions["zh"])
    print(f"\nPDF edition: {exact} of {len(editions['zh'])} Chinese paragraphs exactly as written")
    assert exact >= 0.95 * len(editions["zh"])


def test_a_traditional_chinese_edition_aligns_with_the_english_one(paper, tmp_path, embed):
    units = [
        {**u, "zh": [to_traditional(t) for t in u["zh"]], "zh_section": [to_traditional(t) for t in u["zh_section"]]}
        for u in truth_units(paper)
    ]
    editions = make_edition_pair(units, MERGE_SPLIT, SEEDS[0])
    write_pdf(editions["zh"], to_traditional(paper.title["zh"]), tmp_path / "paper.zh-Hant.pdf")
    write_html(editions["en"], paper.title["en"], tmp_path / "paper.en.html")
    (source,) = corpus_sources(tmp_path)
    assert source.is_pair
    doc = parse_source(source, embed)
    zh_texts = [p.text for p in doc.passages if p.lang == "zh"]
    assert all(script_of(t) == "zh-Hant" for t in zh_texts[:20])  # kept as written
    score = strict_f1(predicted_beads(doc, editions), true_beads(editions))
    print(f"\nTraditional edition ↔ English: strict F1 {score:.3f}")
    assert score >= 0.95
