"""Units of measurement and measure words in both languages, and whether a text gives a number in one.

"多少公顷" and "How many hectares" ask for the same unit; "How deep" asks for any unit of length. The
unit tables are generic (not of any corpus); qa.answer.question reads which of them a question
asks, qa.answer.verify whether a sentence gives it.
"""

from __future__ import annotations

import re

from qa.text.script import fold_traditional

# Units of measurement and measure words, each with its forms in both languages (generic, not of
# any corpus).
MEASURES: tuple[tuple[str, ...], ...] = (
    ("公顷", "hectare"),
    ("平方公里", "平方千米", "square kilomet", "sq km", "km2"),
    ("公里", "千米", "kilomet", "km"),
    ("厘米", "centimet", "cm"),
    ("毫米", "millimet", "mm"),
    ("米", "metre", "meter"),
    ("吨", "tonne", "ton"),
    ("公斤", "千克", "kilogram", "kg"),
    ("克", "gram"),
    ("千瓦时", "度电", "kwh", "twh", "gwh"),
    ("千瓦", "gw", "kw", "mw", "watt"),
    ("立方米", "cubic met", "cu m"),
    ("%", "百分", "percent", "per cent"),
    ("美元", "dollar", "usd"),
    ("欧元", "euro"),
    ("元", "yuan", "rmb"),
    ("度", "degree"),
    ("兆帕", "megapascal", "mpa"),
)
COUNTS: tuple[tuple[str, ...], ...] = (
    ("辆", "vehicle", "car"),
    ("台", "unit"),
    ("座", "station", "plant"),
    ("家", "compan", "enterprise", "firm"),
    ("人", "people", "person", "passenger"),
    ("种", "species", "type", "kind"),
    ("页", "page"),
    ("本", "册", "cop", "volume", "book"),
    ("架", "aircraft", "plane"),
    ("岁", "years old", "year-old"),
    ("座桥", "bridge"),
)
UNITS = MEASURES + COUNTS
# Chinese measure words (量词): after 多少/几 the next character counts only when it is one, so
# "多少减排量" asks for an amount, not for a count of 减.
MEASURE_WORDS = frozenset(
    "个辆台座家条只位名本册页种项人倍次件块根道所架艘株头匹颗枚张篇部届场批户棵栋间层支岁针口步点天周封"
)
# What a question measures when it names no unit ("How deep …", "花了多少钱", "boiling point"): any
# unit of that dimension answers it. Generic units of measurement, in both languages.
DIMENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        r"\bhow (?:much|many) (?:money|dollars)\b|\bcost|\bprice|\bsells? for\b|\bsold for\b|\bspen[dt]\b|"
        r"\bpa(?:y|id) for\b|\bworth\b|\bfee\b|\bbudget|\brevenue|\bincome\b|多少钱|价格|价钱|售价|费用|成本|"
        r"花费|花了多少|收入|营收|票价|多少资金|投资了?多少",
        ("元", "美元", "欧元", "英镑", "日元", "$", "€", "£", "dollar", "euro", "pound", "yuan", "rmb", "usd"),
    ),
    (
        r"\bweigh|\bhow heavy\b|\bweight\b|\bmass\b|多重|重量|体重|质量",
        ("吨", "公斤", "千克", "克", "斤", "tonne", "ton", "kilogram", "kg", "gram", "pound", "lb"),
    ),
    (
        r"\bhow (?:deep|high|tall|long|far|wide)\b|\b(?:depth|height|length|width|altitude|elevation|"
        r"distance)\b|多[深高长远宽]|深度|高度|长度|宽度|海拔|距离",
        ("米", "公里", "千米", "厘米", "毫米", "metre", "meter", "km", "cm", "mm", "mile", "feet", "foot", "inch")
        + ("天", "小时", "分钟", "秒", "year", "day", "hour", "minute", "second", "week", "month"),
    ),
    (
        r"\barea\b|面积|占地",
        ("平方", "公顷", "亩", "square", "hectare", "km2", "acre"),
    ),
    (
        r"\btemperature|\bhow (?:hot|cold)\b|\b(?:boiling|melting|freezing) point|温度|沸点|熔点|冰点|多热|多冷",
        ("度", "°", "℃", "degree", "kelvin"),
    ),
    (
        r"\bhow fast\b|\bspeed\b|\bvelocity\b|速度|时速|流速|风速|航速|车速|多快",
        ("/h", "/s", "/小时", "/秒", "每小时", "每秒", "时速", "秒速", "per hour", "per second", "an hour", "mph")
        + ("knot", "米每秒"),
    ),
)


# "What is the tensile strength of titanium in megapascals?": a quantity asked in a unit.
_EN_IN_UNIT = re.compile(r"\bin ([A-Za-z]+(?: [a-z]+)?)\s*[?？.]?\s*$")


def asks_in_unit(text: str, lang: str) -> bool:
    """Whether an English question ends by naming the unit of measurement of its answer (a
    capitalised word there is a place, "in Tonga", not a unit; "MPa", "kWh" are units)."""
    match = _EN_IN_UNIT.search(text) if lang == "en" else None
    if not match or re.match(r"[A-Z][a-z]", match.group(1)):
        return False
    low = match.group(1).lower()
    return any(re.fullmatch(rf"{re.escape(f)}[a-z]{{0,3}}(?: [a-z]+)?", low) for forms in MEASURES for f in forms)


def dimension(text: str) -> tuple[str, ...] | None:
    """The units of the dimension the question measures, when it names one."""
    return next((units for cue, units in DIMENSIONS if re.search(cue, text, re.IGNORECASE)), None)


# A number in digits, Chinese numerals or English words ("六个区", "three times", "20 paddlers").
_NUMERAL = (
    r"(?:\d[\d.,]*|[零一二三四五六七八九十百千万亿两]+|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|several)\b)"
)


# Currency units written before their number.
_PREFIXED = frozenset(("$", "€", "£", "rmb", "usd"))
# Rates Chinese writes before their number ("每秒约2米", "时速350公里").
_PREFIXED_RATES = frozenset(("每小时", "每秒", "时速", "秒速"))


def has_unit(forms: tuple[str, ...], text: str) -> bool:
    """Whether `text` gives a number in one of the unit's forms (within a few characters)."""
    low = fold_traditional(text.lower())
    for form in forms:
        if form in _PREFIXED_RATES and re.search(rf"{form}[^，。,;；\d]{{0,3}}\d", low):
            return True
        if form in _PREFIXED and re.search(rf"{re.escape(form)}\s?\d", low):  # "RMB500 billion", "$15.9 million"
            return True
        # Up to two words between ("20 million tonnes"), but an area is no length: not "square
        # kilometres", not "km2".
        words = r"(?:(?!square\b)[a-z-]+\s+){0,2}"
        # A number inside a name ("SR-71 aircraft", "A380 planes") counts nothing.
        start = r"(?<![a-z\d])(?<!\d[.,])(?<![a-z]-)"
        # A Chinese rate names its length unit first ("2米/秒", "350公里/小时").
        size = r"\s*(?:多|余|几)?(?:万|亿|千|百)?(?:多|余)?\s*(?:公里|千米|米)?"
        pattern = rf"{start}{_NUMERAL}{size}{words}{re.escape(form)}(?![0-9²])"
        if re.search(pattern, low):
            return True
        # "the number of products … exceeded 10,000": the count given after its noun.
        if form.isalpha() and re.search(rf"\bnumber of (?:[a-z-]+\s+){{0,2}}{re.escape(form)}", low):
            return bool(re.search(_NUMERAL, low))
    return False
