"""Chinese in either script: matching folds both, what users see stays as written."""

from __future__ import annotations

from collections import Counter

import pytest

from qa.store.local.keyword import KeywordIndex
from qa.text import tokenize
from qa.text.script import fold, fold_traditional, in_script, script_of, to_simplified, to_traditional
from tests.conftest import CORPUS_DIR, PAPER

PASSAGES = [
    "中国于2021年7月正式启动全国碳排放权交易市场，覆盖全国60%以上的碳排放量。",
    "风电和光伏发电装机容量突破14亿千瓦。",
    "The national carbon market covers more than 60% of carbon emissions.",
    "常规水电装机容量约3.8亿千瓦。",
]


def paper_chinese_lines() -> list[str]:
    lines = (CORPUS_DIR / f"{PAPER}.zh-en.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if script_of(line) is not None]


def test_script_of_tells_the_two_scripts_and_no_chinese_apart():
    assert script_of("中国的风电装机容量是多少？") == "zh-Hans"
    assert script_of("中國的風電裝機容量是多少？") == "zh-Hant"
    assert script_of("How much wind power?") is None
    assert script_of("碳市场 coverage 多少") == "zh-Hans"


def test_the_demo_paper_reads_as_simplified():
    assert {script_of(line) for line in paper_chinese_lines()} == {"zh-Hans"}


@pytest.mark.parametrize("region", ["zh-Hant", "zh-HK"])
def test_folding_makes_a_traditional_copy_tokenize_like_the_original(region):
    """Nearly every token of the paper is the same in Traditional (Taiwan or Hong Kong phrasing)
    as in Simplified (a few phrases map one way only: 资讯 → 資訊 → 信息); folding by characters
    alone leaves Taiwan words apart."""
    lines = paper_chinese_lines()
    shared = total = 0
    for line in lines:
        original, converted = Counter(tokenize(line)), Counter(tokenize(to_traditional(line, region)))
        shared, total = shared + sum((original & converted).values()), total + sum(original.values())
    assert shared / total >= 0.99
    by_characters = sum(to_simplified(to_traditional(line)) == line for line in lines)
    assert sum(fold(to_traditional(line)) == fold(line) for line in lines) > by_characters


def test_a_question_in_either_script_finds_a_passage_in_either_by_keyword():
    simplified = KeywordIndex.build(PASSAGES)
    traditional = KeywordIndex.build([to_traditional(p) for p in PASSAGES])
    for question in ("中国的风电和光伏装机容量有多大？", "中國的風電和光伏裝機容量有多大？"):
        for index in (simplified, traditional):
            _, rows = index.search([tokenize(question)], k=1)
            assert rows[0][0] == 1, question


def test_mixed_language_and_mixed_script_queries_keep_both_parts():
    tokens = tokenize("碳市场 coverage 多少")
    assert "市场" in tokens and "coverag" in tokens and "多少" not in tokens
    assert tokenize("全國碳市场") == tokenize("全国碳市场")
    index = KeywordIndex.build(PASSAGES)
    _, rows = index.search([tokenize("碳市场 covers 多少")], k=2)
    assert set(rows[0].tolist()) == {0, 2}  # the Chinese paragraph and the English one


def test_only_traditional_text_is_folded_for_the_model():
    """Simplified and English text reach the encoder as written; Traditional text folded."""
    assert fold_traditional(PASSAGES[0]) == PASSAGES[0]
    assert fold_traditional(PASSAGES[2]) == PASSAGES[2]
    assert fold_traditional(to_traditional(PASSAGES[1])) == PASSAGES[1]


def test_in_script_converts_only_chinese_written_in_the_other_script():
    simplified = PASSAGES[1]
    traditional = to_traditional(simplified)
    assert in_script(simplified, "zh-Hant") == traditional
    assert in_script(traditional, "zh-Hans") == simplified
    assert in_script(simplified, "zh-Hans") is None
    assert in_script(PASSAGES[2], "zh-Hant") is None
    assert in_script(simplified, None) is None


# --- the API says which script the asker wrote and converts the quote -------------------------

TRADITIONAL_QUESTION = "中國的風電和光伏裝機容量現在有多大？"


def test_ask_in_traditional_gets_a_verbatim_quote_and_its_traditional_form(client, service):
    body = client.post("/v1/ask", json={"question": TRADITIONAL_QUESTION}).json()
    assert body["question_script"] == "zh-Hant"
    assert body["support"] in ("stated", "related"), body
    answer = body["answer"] or body["closest"]  # a quote either way, converted the same way
    passage = service.store.passage(service.store.row_of(answer["passage_id"]))
    assert passage.text[answer["start"] : answer["end"]] == answer["text"]
    assert answer["text_converted"] == to_traditional(answer["text"])
    assert script_of(answer["text_converted"]) == "zh-Hant"
    for citation in body["citations"]:
        expected = to_traditional(citation["text"]) if citation["lang"] == "zh" else None
        assert citation["text_converted"] == expected


def test_the_traditional_question_is_answered_like_its_simplified_twin(client):
    traditional = client.post("/v1/ask", json={"question": TRADITIONAL_QUESTION}).json()
    simplified = client.post("/v1/ask", json={"question": to_simplified(TRADITIONAL_QUESTION)}).json()
    assert simplified["question_script"] == "zh-Hans"
    assert traditional["support"] == simplified["support"] != "none"
    quotes = [body["answer"] or body["closest"] for body in (traditional, simplified)]
    assert quotes[1]["text_converted"] is None
    assert quotes[0]["text"] == quotes[1]["text"]


def test_search_says_the_query_script_and_converts_nothing_for_english(client):
    english = client.post("/v1/search", json={"query": "How much wind power capacity?"}).json()
    assert english["query_script"] is None
    assert all(r["text_converted"] is None for r in english["results"])
    traditional = client.post("/v1/search", json={"query": TRADITIONAL_QUESTION, "lang": "zh"}).json()
    assert traditional["query_script"] == "zh-Hant"
    assert all(r["text_converted"] == to_traditional(r["text"]) for r in traditional["results"])


# --- a document written in Traditional characters, asked in Simplified ------------------------

TINY_BODY = [
    "一、能源",
    "I. Energy",
    "屋顶光伏今年新增装机一百万千瓦，主要分布在工业园区。",
    "Rooftop solar grew by one gigawatt this year, mostly in industrial parks.",
    "风电场多建在沿海地区，海上风电发展迅速。",
    "Wind farms are mostly built along the coast; offshore wind is growing fast.",
    "城市公园的面积扩大了，市民休闲的去处更多。",
    "City parks have grown larger, giving residents more places to relax.",
]


def test_a_traditional_document_is_found_by_a_simplified_question_and_keeps_its_text(tmp_path, encoder):
    from qa.index.build import build_index
    from qa.search.engine import SearchEngine
    from qa.store.local.load import load_index
    from tests.conftest import write_interleaved

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_interleaved(corpus / "tiny.zh-en.txt", [to_traditional(line) for line in TINY_BODY])
    build_index(corpus, tmp_path / "index", encoder, progress=False)
    engine = SearchEngine(load_index(tmp_path / "index"), encoder)
    for question in ("海上风电发展得怎么样？", "海上風電發展得怎麼樣？"):
        hit = engine.search(question, top_k=1, lang="zh").hits[0]
        assert hit.passage.text == to_traditional(TINY_BODY[4])
        assert hit.keyword > 0
