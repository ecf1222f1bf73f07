"""What /v1/ask tells the asker when the documents do not state the answer, in their language.

*Not covered*: nothing on the subject. *Related*: the documents speak of the subject but do not
give the asked fact; the message names that fact (the figure and its unit, the year, the name,
the reason) so the closest quote is never mistaken for the answer.
"""

from __future__ import annotations

from qa.answer.question import QuestionReading

NOT_COVERED = {
    "zh": "抱歉，现有文档中没有找到这个问题的答案。下面是最接近的段落，供参考。",
    "en": "Sorry — the documents here don't answer that question. These are the closest passages.",
}

_WHAT = {
    "quantity": ("所问的数字", "the figure you asked for"),
    "year": ("所问的年份或日期", "the year or date you asked for"),
    "name": ("所问的名称（人、地点或机构）", "the name you asked for (a person, place or organisation)"),
    "reason": ("所问的原因或目的", "the reason you asked for"),
    "yesno": ("这个问题的明确答案", "a clear answer to this question"),
    "other": ("这个问题的答案", "the answer to this question"),
}


def _asked(reading: QuestionReading, lang: str) -> str:
    zh, en = _WHAT[reading.kind]
    if lang == "zh":
        detail = [f"单位：{'、'.join(reading.unit_words)}"] if reading.unit_words else []
        detail += [f"{'、'.join(reading.years)}年"] if reading.years else []
        detail += ["实际产出，而非产能"] if reading.asks_output else []
        return zh + (f"（{'，'.join(detail)}）" if detail else "")
    counted = [f"number of {w}" if f"how many {w}" in reading.text.lower() else f"in {w}" for w in reading.unit_words]
    detail = ["; ".join(counted)] if counted else []
    detail += [f"for {', '.join(reading.years)}"] if reading.years else []
    detail += ["the amount produced, not a capacity"] if reading.asks_output else []
    return en + (f" ({'; '.join(detail)})" if detail else "")


def not_stated(reading: QuestionReading, lang: str) -> str:
    """'The documents don't state X; the closest they say is' — X named from the question."""
    if lang == "zh":
        return f"文档未说明{_asked(reading, 'zh')}，最接近的内容是："
    return f"The documents don't state {_asked(reading, 'en')}; the closest they say is:"


def not_covered(lang: str) -> str:
    return NOT_COVERED[lang]
