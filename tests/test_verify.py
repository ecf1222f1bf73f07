"""Reading a question and verifying a sentence against it (qa.answer.question, qa.answer.verify)."""

from __future__ import annotations

import pytest

from qa.answer.messages import not_covered, not_stated
from qa.answer.question import has_unit, read_question
from qa.answer.sentences import SentenceCandidate
from qa.answer.verify import CHOICE_FEATURES, candidate_features
from qa.corpus.models import Citation, Passage


@pytest.mark.parametrize(
    "question, lang, kind",
    [
        ("中国森林面积有多少公顷？", "zh", "quantity"),
        ("How many electric cars did China export in 2024?", "en", "quantity"),
        ("屈原出生于哪一年？", "zh", "year"),
        ("When did the Danube Commission move?", "en", "year"),
        ("Who invented volleyball?", "en", "name"),
        ("全国碳市场设在哪个城市？", "zh", "name"),
        ("Why do pandas move slowly?", "en", "reason"),
        ("白皮书发布的目的是什么？", "zh", "reason"),
        ("Is titanium magnetic?", "en", "yesno"),
        ("光合作用是否需要光？", "zh", "yesno"),
        ("Describe the 1+N framework.", "en", "other"),
    ],
)
def test_the_kind_of_fact_asked_is_read_in_both_languages(question, lang, kind):
    assert read_question(question, lang).kind == kind


def test_units_years_and_quantity_wording_are_read():
    zh = read_question("2023年中国新能源汽车产量是多少辆？", "zh")
    assert zh.years == ("2023",) and zh.asks_output and zh.unit_words == ("辆",)
    en = read_question("How much green hydrogen did China actually produce in 2024?", "en")
    assert en.asks_output and en.years == ("2024",)
    assert not read_question("What is the production capacity of green hydrogen?", "en").asks_output
    assert read_question("What was the capacity of wind power alone?", "en").asks_part
    hectares = read_question("How many hectares of forest does China have?", "en")
    assert hectares.unit_words == ("hectares",)
    assert has_unit(hectares.units[0], "森林面积达2.3亿公顷") and has_unit(hectares.units[0], "31 million hectares")
    assert not has_unit(hectares.units[0], "forests covered 25.09 percent of China's territory")


def test_messages_name_what_is_missing_in_the_askers_language():
    zh = not_stated(read_question("中国森林面积有多少公顷？", "zh"), "zh")
    assert "公顷" in zh and zh.startswith("文档未说明")
    en = not_stated(read_question("How many electric cars did China export in 2024?", "en"), "en")
    assert "electric cars" in en and "2024" in en and en.startswith("The documents don't state")
    assert "year" in not_stated(read_question("In what year was Lang Ping born?", "en"), "en")
    assert "抱歉" in not_covered("zh") and "Sorry" in not_covered("en")


def _candidate(text: str, translation: str) -> SentenceCandidate:
    passage = Passage(
        passage_id="p.zh.1",
        doc_id="p",
        lang="zh",
        text=text,
        citation=Citation(doc_title="T", paragraph=1, label="T ¶1"),
    )
    return SentenceCandidate(passage, 0, len(text), 0, 0.8, 0.8, translation, 0.8)


def test_features_read_the_sentence_and_its_translation():
    reading = read_question("How much green hydrogen did China produce in 2024?", "en")
    weights = {"green": 1.0, "hydrogen": 2.0, "china": 0.5, "produc": 1.0, "2024": 1.5}
    capacity = _candidate(
        "截至2024年底，绿色氢能产能超15万吨/年。",
        "By the end of 2024, China led the world in the annual production capacity "
        "of green hydrogen energy – over 150,000 tonnes.",
    )
    x = candidate_features(reading, weights, ["2024"], capacity)
    assert set(x) == set(CHOICE_FEATURES)
    assert x["year_missing"] == 0.0 and x["kind_given"] == 1.0
    assert x["cover"] > x["cover_own"]  # the English words are found in the translation
    assert x["output_conflict"] == 1.0  # a capacity, not what was produced
    other_year = candidate_features(read_question("绿氢2023年的产能是多少？", "zh"), {"绿氢": 1.0}, [], capacity)
    assert other_year["year_missing"] == 1.0
