"""Sentence splitting for extractive answers: Chinese and English punctuation, offsets exact."""

from qa.text.sentences import sentence_spans, split_sentences


def test_chinese_sentences_end_at_full_stop_question_and_semicolon():
    text = "防范风险。中国坚持先立后破；确保安全降碳！这是问题吗？最后一句"
    assert split_sentences(text, "zh") == [
        "防范风险。",
        "中国坚持先立后破；",
        "确保安全降碳！",
        "这是问题吗？",
        "最后一句",
    ]


def test_closing_quotes_stay_with_their_sentence():
    assert split_sentences("他说：“我们行动。”然后离开。", "zh") == ["他说：“我们行动。”", "然后离开。"]


def test_english_sentences_split_on_punctuation_followed_by_a_capital_or_number():
    text = "Guarding against risks. China strives to defuse risk! 2025 marks a decade; it matters."
    # A semicolon before a lower-case word joins clauses of one sentence.
    assert split_sentences(text, "en") == [
        "Guarding against risks.",
        "China strives to defuse risk!",
        "2025 marks a decade; it matters.",
    ]


def test_decimals_and_initials_do_not_end_english_sentences():
    text = "The share fell to 80.2 percent in the U.S. market. Next sentence."
    assert split_sentences(text, "en") == ["The share fell to 80.2 percent in the U.S. market.", "Next sentence."]


def test_bullet_lines_are_sentences_of_their_own():
    text = "The plan covers:\n• energy;\n• transport."
    assert split_sentences(text, "en") == ["The plan covers:", "• energy;", "• transport."]


def test_spans_are_offsets_into_the_text():
    text = "  第一句。 第二句！"
    for start, end in sentence_spans(text, "zh"):
        assert text[start:end].strip() == text[start:end] != ""
    assert [text[s:e] for s, e in sentence_spans(text, "zh")] == ["第一句。", "第二句！"]
