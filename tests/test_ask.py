"""POST /v1/ask: a verbatim sentence in the asker's language, citations, honest abstention."""

from __future__ import annotations

import pytest

from qa.search.calibration import load_calibration


def ask(client, **body):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def assert_span_is_verbatim(client, data):
    answer = data["answer"]
    passage = client.get(f"/v1/passages/{answer['passage_id']}").json()
    assert passage["lang"] == data["answer_lang"]
    assert passage["text"][answer["start"] : answer["end"]] == answer["text"]


THRESHOLD = load_calibration().verification.threshold


def test_a_chinese_question_gets_a_chinese_sentence_with_the_number(client):
    data = ask(client, question="全国碳市场覆盖了全国多少碳排放量？")
    assert data["question_lang"] == data["answer_lang"] == "zh"
    assert data["answerable"] is True and data["confidence"] >= THRESHOLD
    assert data["support"] == "stated" and data["closest"] is None and data["message"] is None
    assert "60%以上" in data["answer"]["text"]
    assert_span_is_verbatim(client, data)
    first = data["citations"][0]
    assert first["passage_id"] == data["answer"]["passage_id"]
    assert first["translations"][0]["lang"] == "en"


def test_an_english_question_gets_an_english_sentence(client):
    data = ask(client, question="How much regular hydropower capacity does China have?")
    assert data["answer_lang"] == "en"
    assert "380 GW" in data["answer"]["text"]
    assert_span_is_verbatim(client, data)
    # An answer is one or two sentences, not the whole paragraph.
    passage = client.get(f"/v1/passages/{data['answer']['passage_id']}").json()
    assert len(data["answer"]["text"]) < len(passage["text"])


def test_lang_asks_for_the_answer_in_the_other_language(client):
    data = ask(client, question="How much regular hydropower capacity does China have?", lang="zh")
    assert (data["question_lang"], data["answer_lang"]) == ("en", "zh")
    assert "3.8亿千瓦" in data["answer"]["text"]
    assert all(c["lang"] == "zh" for c in data["citations"])
    assert_span_is_verbatim(client, data)


@pytest.mark.parametrize(
    "question, lang",
    [
        ("What is the boiling point of mercury?", "en"),
        ("红烧肉的做法是什么？", "zh"),
        ("How many nuclear power plants does Japan plan to restart?", "en"),
    ],
)
def test_out_of_corpus_questions_are_declined_politely_in_the_askers_language(client, question, lang):
    data = ask(client, question=question)
    assert data["answerable"] is False and data["answer"] is None
    assert data["support"] in ("related", "none")
    assert data["confidence"] < THRESHOLD
    assert data["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in data["message"]) == (lang == "zh")
    assert data["citations"], "the nearest passages are still listed"


@pytest.mark.parametrize(
    "question, lang, named",
    [
        ("中国森林面积有多少公顷？", "zh", "公顷"),
        ("How much green hydrogen did China actually produce in 2024?", "en", "2024"),
        ("How many electric cars did China export in 2024?", "en", "electric cars"),
    ],
)
def test_a_near_miss_is_related_with_the_closest_quote_and_what_is_missing(client, question, lang, named):
    data = ask(client, question=question)
    assert data["support"] == "related" and data["answerable"] is False and data["answer"] is None
    closest = data["closest"]
    passage = client.get(f"/v1/passages/{closest['passage_id']}").json()
    assert passage["text"][closest["start"] : closest["end"]] == closest["text"]
    assert named in data["message"]
    assert data["message"].startswith("文档未说明" if lang == "zh" else "The documents don't state")


def test_an_off_topic_question_is_not_covered(client):
    data = ask(client, question="What is the weather in Paris tomorrow?")
    assert data["support"] == "none" and data["answer"] is None and data["closest"] is None


def test_top_k_bounds_the_citations(client):
    assert len(ask(client, question="碳达峰碳中和政策体系", top_k=2)["citations"]) == 2


@pytest.mark.parametrize(
    "body, code",
    [
        ({"question": ""}, "invalid_request"),
        ({"question": "   "}, "invalid_request"),
        ({"question": "x", "lang": "de"}, "invalid_request"),
        ({"question": "x", "top_k": 0}, "invalid_request"),
        ({"question": "x", "extra": True}, "unknown_field"),
        ({"query": "x"}, "unknown_field"),
    ],
)
def test_bad_ask_requests_get_the_error_body(client, body, code):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
