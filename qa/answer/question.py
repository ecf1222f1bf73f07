"""What a question asks for, and under which constraints: the first step of the ask pipeline.

"中国森林面积有多少公顷？" asks for a quantity in 公顷; "How much green hydrogen did China
produce in 2024?" asks for an output (not a capacity) in a given year. A sentence on the right
topic that gives another kind of fact (a share instead of an area, a capacity instead of an
output, another year) is a near miss, not an answer. This module only *reads* the question with
generic cue words of each language (question words, units and measure words, capacity/output and
part/total wording); how much each reading counts is learned (qa.answer.verify).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jieba
import jieba.posseg

from qa.answer.units import MEASURE_WORDS, UNITS, asks_in_unit, dimension
from qa.text import tokenize
from qa.text.script import fold_traditional

# The kind of fact asked for. Order matters: the first matching cue wins.
_KINDS_EN = (
    ("year", r"\b(what|which) year\b|\bwhen\b|\bin what year\b|\bwhat date\b|\bon what day\b"),
    (
        "quantity",
        r"\bhow (many|much|large|big|high|tall|long|far|old|deep|wide|heavy|fast)\b|"
        r"\bwhat (share|percentage|proportion|number|amount|rate|volume|fraction|density)\b",
    ),
    (
        "name",
        r"\bwho(m|se)?\b|\bwhere\b|\b(which|what) (city|cities|country|countries|town|village|place|"
        r"organi[sz]ation|company|companies|person|river|region|province|museum|team|ship|boat|street|"
        r"school|university|hospital|island|port|station|battle|war|book|newspaper)\b|"
        r"\bwhat (is|was|were|are) (the |his |her |their |its )?names?\b|\bwhat (is|was) .{1,40} called\b",
    ),
    ("reason", r"\bwhy\b|\b(what|which) (is|was|are|were) the (purpose|reason|aim|goal)s?\b"),
    ("yesno", r"^\s*(is|are|does|do|did|can|could|has|have|had|was|were|will|should)\b"),
)
_KINDS_ZH = (
    ("year", r"哪一?年|何年|何时|什么时候|哪个时候|几月|哪一?天|什么时间"),
    # 几 before any character asks a count of it (几针, 几天), but 几乎 is "almost" and 几何 geometry.
    ("quantity", r"多少|(?<!哪)几(?![乎何率])[\u4e00-\u9fff]|多[大高长远重快深宽久]|比例|比重|占比|百分之"),
    (
        "name",
        r"谁|哪[几一二三四五六七八九十]*位|哪几[个座家所条种]|哪家|哪里|哪儿|在哪(?!一?年|一?天|个?月|个时候)|什么地方|"
        r"哪个(?!时候)[\u4e00-\u9fff]|哪[座条所艘部间首]|哪些(国家|城市|组织|机构|公司)|什么名字|叫什么",
    ),
    ("reason", r"为什么|为何|什么原因|原因是|目的是|什么目的"),
    ("yesno", r"是否|吗[？?]?\s*$|有没有|能否|是不是"),
)
KINDS = ("quantity", "year", "name", "reason", "yesno", "other")

_ZH_MEASURE = re.compile(r"(?:多少|几)([\u4e00-\u9fff%]{1,4})")
_EN_MEASURE = re.compile(
    r"\bhow many ((?:[a-z-]+ ){0,3}[a-z-]+)|\bin (?:what |which )?([a-z]+)\s*[?？]?\s*$", re.IGNORECASE
)
_AUX = re.compile(r"\b(?:did|does|do|are|is|was|were|has|have|had|can|could|will|would|should|in|of)\b")
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")

# What a quantity measures: a capacity is not an output, a part is not the total.
CAPACITY = re.compile(r"capacit|产能|装机|容量|能力", re.IGNORECASE)
OUTPUT = re.compile(
    r"\bproduc(e|ed|es|tion)\b|\boutput\b|\bgenerat(e|ed|es|ion)\b|\bactually\b|产量|发电量|生产了|实际", re.IGNORECASE
)
# In a sentence, "production capacity" is a capacity: only verbs of producing count as an output.
OUTPUT_STATED = re.compile(
    r"\b(produced|output|generated|yielded)\b(?!\s+capacit)|产量|发电量|生产了|发电", re.IGNORECASE
)
PART = re.compile(
    r"\bhow (?:many|much) of\b|\balone\b|\bonly\b|\balready\b|\bby itself\b|单独|仅|其中|已经|已", re.IGNORECASE
)
TOTAL = re.compile(
    r"\bcombined\b|\btotal\b|\bin all\b|\boverall\b|\baltogether\b|共|合计|总计|总数|总量", re.IGNORECASE
)
REASON = re.compile(
    r"\bbecause\b|\bdue to\b|\bso that\b|\bin order to\b|\bto (present|promote|ensure|help|"
    r"protect|keep|save|drive|improve)\b|\baim(s|ed)? to\b|\b(which|that) is why\b|\btherefore\b|\bthus\b|"
    r"\bhence\b|\bas a result\b|因为|由于|为了|以便|旨在|目的|从而|因此|所以|因而",
    re.IGNORECASE,
)
# A short quotation without a clause mark is a name or title (“七神父”); one with a comma or a full
# stop is somebody's words, which fiction quotes everywhere.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*|[A-Z]{2,}|《[^》]+》|“[^”，。！？,.!?]{2,12}”")


@dataclass(frozen=True)
class QuestionReading:
    """What the question asks for: its kind, unit, years and quantity wording."""

    text: str
    lang: str
    kind: str  # one of KINDS
    units: tuple[tuple[str, ...], ...] = field(default_factory=tuple)  # forms of each asked unit
    unit_words: tuple[str, ...] = ()  # the same units as the question words them
    years: tuple[str, ...] = ()
    asks_output: bool = False
    asks_part: bool = False
    focus: tuple[str, ...] = ()  # tokens naming the asked property ("海拔", "deep", "speed")
    alternatives: tuple[str, ...] = ()  # the choices of "A还是B？", "A or B?": one of them answers


def _kind(text: str, lang: str) -> str:
    """The kind whose cue comes first ("How much does a cub weigh when it is born?" asks a
    quantity; "哪几位" asks for names); on a tie, the earlier kind of the list."""
    found = []
    for order, (kind, pattern) in enumerate(_KINDS_ZH if lang == "zh" else _KINDS_EN):
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            found.append((match.start(), order, kind))
    return min(found)[2] if found else "other"


def counted_noun(phrase: str) -> str:
    """The noun of "how many X …": the first plural word of the phrase ("Stradivari instruments
    still" → instruments), else its first word."""
    words = phrase.lower().split()
    return next((w for w in words if w.endswith("s") and not w.endswith("ss")), words[0] if words else "")


def _stem(word: str) -> str:
    """A prefix that matches the singular and the plural ("bodies" → "bod", "blocks" → "block")."""
    if word.endswith("ies"):
        return word[:-3]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _units(text: str, lang: str) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """The units or measure words the question asks its quantity in: all their forms, and the
    question's own words for them."""
    if lang == "zh":
        words = [m.group(1) for m in _ZH_MEASURE.finditer(text)]
    else:
        words = [_AUX.split(w)[0].strip() for m in _EN_MEASURE.finditer(text) for w in m.groups() if w]
        words = [w for w in words if w]
    found, worded = [], []
    for word in words:
        low = word.lower()
        # English: the counted noun ("carbon-emission benchmarks" counts benchmarks, not cars) or
        # a unit of several words ("square kilometres").
        noun = counted_noun(low) if lang == "en" else low
        forms = next(
            (forms for forms in UNITS if any(noun.startswith(f) or (" " in f and f in low) for f in forms)), None
        )
        if forms is None and lang == "en":  # "how many wind turbines": the counted noun itself
            forms = (_stem(counted_noun(low)),)
        if forms is None and lang == "zh" and low[0] in MEASURE_WORDS and low[0] != "倍":
            forms = (low[0],)  # a measure word (辆, 台, 座, …) counts in its own language
        if forms and forms not in found:
            found.append(forms)
            worded.append(word)
    return tuple(found), tuple(worded)


_ZH_ASK = re.compile(
    r"(?:是|有|为|达|约|共|一共|大约)*(?:多少|几|多[大高长远重快深宽久]|哪一?年|什么时候|何时|哪里|哪个|谁|什么)"
)
_EN_FOCUS = re.compile(
    r"\bhow (?:much|many) ((?:[a-z-]+ ){0,3}[a-z-]+)|\bhow ((?!much\b|many\b)[a-z]+)\b|"
    r"\bwhat (?:is|was|are|were) (?:the |its |their )?((?:[a-z-]+ ){0,2}?[a-z-]+)"
    r"(?= of\b| in\b| for\b| at\b| by\b|\s*\?)",
    re.IGNORECASE,
)
_EN_VAGUE = frozenset("many much is are was were do does did the a name names number amount".split())
# Parts of speech that never name the asked property: time words (现在), pronouns, adverbs,
# numerals, measure words, particles, prepositions, conjunctions.
_ZH_NOT_FOCUS = ("t", "r", "d", "m", "q", "u", "p", "c", "x", "y", "e", "o")


_ZH_VAGUE = frozenset("一共 总共 共计 大约 大概 累计 目前 现在 如今 当前 已经".split())


def _zh_content(text: str) -> list[str]:
    return [
        w.word
        for w in jieba.posseg.lcut(text)
        if len(w.word) > 1
        and re.match(r"[\u4e00-\u9fff]", w.word)
        and not w.flag.startswith(_ZH_NOT_FOCUS)
        and w.word not in _ZH_VAGUE
    ]


def _focus(text: str, lang: str) -> tuple[str, ...]:
    """The words naming the asked property: in Chinese the noun after 多少+量词 (桥梁) or else the
    last word before the question word (海拔, 面积, 出生); in English the adjective of "how deep",
    the noun of "how much/many X" or of "what is the X of"."""
    if lang == "zh":
        match = _ZH_ASK.search(text)
        if not match:
            return ()
        unit_forms = {f for forms in UNITS for f in forms}
        after = [w for w in _zh_content(re.split(r"[，。？！?,、]", text[match.end() :])[0]) if w not in unit_forms]
        return tuple(after[:1] or _zh_content(text[: match.start()])[-1:])
    words = []
    for match in _EN_FOCUS.finditer(text):
        phrase = _AUX.split(next(g for g in match.groups() if g))[0]
        if match.group(1):  # "how many paddlers does": the counted noun, not the verb after it
            phrase = counted_noun(phrase)
        words += [w for w in tokenize(phrase) if w not in _EN_VAGUE]
    return tuple(dict.fromkeys(words))


def focus_missing(reading: QuestionReading, text: str) -> float:
    """How much of the asked property's words `text` lacks: a Chinese word by the share of its
    characters absent (教书 is half found in 任教, 弓毛 in 马尾毛), any other word whole."""
    if not reading.focus:
        return 0.0
    low = fold_traditional(text.lower())
    missing = 0.0
    for word in (f.lower() for f in reading.focus):
        if re.match(r"[\u4e00-\u9fff]", word):
            missing += sum(ch not in low for ch in word) / len(word)
        else:
            missing += word not in low
    return missing / len(reading.focus)


# A share, percentage or proportion: answered by a ratio, whatever it is a share of.
_SHARE = re.compile(
    r"\b(?:share|percentage|proportion|fraction|percent)\b|比例|比重|占比|百分之|百分比|占[^，。？?]{0,8}?(?:多少|多大|几成)",
    re.IGNORECASE,
)


def _share_part(text: str) -> tuple[str, ...]:
    """What a Chinese share question asks the share of: the part before 占 ("锂离子电池占多大比例"
    asks about 锂离子电池), not the ratio word, which any share answers."""
    before = text.split("占")[0] if "占" in text else ""
    return tuple(w for w in _zh_content(before)[-1:] if not _SHARE.fullmatch(w))


_EN_OR = re.compile(r"\b([a-z-]+) or ([a-z-]+)(?: [a-z-]+){0,3}\s*[?？]\s*$", re.IGNORECASE)


def _alternatives(text: str, lang: str) -> tuple[str, ...]:
    """The words of each choice an alternative question offers ("免费发放还是拍卖分配" → 发放,
    拍卖; "free or auctioned?" → free, auction): a sentence naming neither does not answer it."""
    if lang == "zh":
        if "还是" not in text:
            return ()
        left, right = text.split("还是", 1)
        return tuple(_zh_content(left)[-1:] + _zh_content(right)[:1])
    match = _EN_OR.search(text)
    return tuple(w for g in match.groups() for w in tokenize(g)[:1]) if match else ()


def read_question(text: str, lang: str) -> QuestionReading:
    """Read `text` (a Traditional question in its Simplified folded form: the cue words are)."""
    text = fold_traditional(text)
    kind = _kind(text, lang)
    kind = "quantity" if kind == "other" and asks_in_unit(text, lang) else kind
    units, unit_words = _units(text, lang) if kind == "quantity" else ((), ())
    share = _SHARE.search(text)
    # A share of an area is a ratio, not an area: it names no unit to look for.
    dimension_units = dimension(text) if kind in ("quantity", "other") and not units and not share else None
    units = (dimension_units,) if dimension_units else units
    return QuestionReading(
        text=text,
        lang=lang,
        kind=kind,
        units=units,
        unit_words=unit_words,
        years=tuple(dict.fromkeys(_YEAR.findall(text))),
        asks_output=bool(OUTPUT.search(text)) and not CAPACITY.search(text),
        asks_part=bool(PART.search(text)),
        focus=_share_part(text)
        if share and lang == "zh"
        else tuple(w for w in _focus(text, lang) if not (share and _SHARE.fullmatch(w))),
        alternatives=_alternatives(text, lang) if kind in ("yesno", "other") else (),
    )


def years_in(text: str) -> set[str]:
    return set(_YEAR.findall(text))


_CALENDAR = re.compile(
    r"(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$"
)


# Proper nouns of jieba's tagger (person, place, organisation, other name): Chinese has no capitals.
_ZH_PROPER = ("nr", "ns", "nt", "nz")
# The tagger misses many transliterated names; the characters beside their dot (安德鲁·本森) show one.
_ZH_DOTTED = re.compile(r"[\u4e00-\u9fff]{2}(?=·)|(?<=·)[\u4e00-\u9fff]{2}")
# A thing given its name in so many words ("a rod called the sound post", 称为塞斯蒂耶雷): a name,
# whatever its case.
_NAMING = re.compile(
    r"\b(?:called|named|known as|termed|dubbed)\s+(?:the\s+|an?\s+)?([\w'’-]+)|"
    r"(?:称为|称作|叫作|叫做|名叫|名为|被称为|管它叫|取名)[“「]?([\u4e00-\u9fff]{1,8})",
    re.IGNORECASE,
)


def new_names(text: str, question: str, lang: str = "en") -> int:
    """How many names (capitalised words not opening a sentence, acronyms, titles in 《》 or
    quotes, and in Chinese the proper nouns) `text` gives that the question does not: a
    'who/where/which' question needs one. A month or a weekday is a date, not a name. `text`
    must be in the question's language: "Calvin" is no new name to "卡尔文是和谁…"."""
    asked = question.lower()
    found = [m.group() for m in _NAME.finditer(text) if not _CALENDAR.match(m.group())]
    found += [next(g for g in m.groups() if g) for m in _NAMING.finditer(text)]
    if lang == "zh":
        text = fold_traditional(text)
        found += [w.word for w in jieba.posseg.lcut(text) if w.flag.startswith(_ZH_PROPER)]
        found += _ZH_DOTTED.findall(text)
    # Another form of a question word is no new name: "China" to "Chinese", "Himalayas" to "Himalayan".
    return sum(1 for name in found if name.lower() not in asked and name.lower()[: max(4, len(name) - 2)] not in asked)


_QUOTED = re.compile(r"《([^》]+)》|“([^”]{2,12})”|「([^」]{2,12})」")


# Administrative units: a place name with one (北京市, 四川省) is a name, where jieba's place tag
# alone also marks common words (城市, 东西).
_ADMINISTRATIVE = ("市", "省", "县", "州")


def chinese_names(text: str) -> list[str]:
    """Titles and names a Chinese question quotes (“弥赛亚”, 《巴黎协定》) and its places named
    with their administrative unit (北京市 → 北京): as specific as a capitalised English name,
    and a sentence that lacks them speaks of something else."""
    text = fold_traditional(text)
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    places = [
        w.word[:-1]
        for w in jieba.posseg.lcut(text)
        if w.flag.startswith("ns") and len(w.word) > 2 and w.word.endswith(_ADMINISTRATIVE)
    ]
    return quoted + places


_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ZH_DIGITS = "一二三四五六七八九十"
_ORDINAL = re.compile(rf"\b({'|'.join(_ORDINAL_WORDS)})\b|\b(\d+)(?:st|nd|rd|th)\b|第([{_ZH_DIGITS}]|\d+)", re.I)


def ordinals_in(text: str) -> set[int]:
    """The ordinals a text names in either language ("third", "3rd", 第三 → 3)."""
    found = set()
    for word, digits, zh in _ORDINAL.findall(text):
        if word:
            found.add(_ORDINAL_WORDS.index(word.lower()) + 1)
        elif digits or zh.isdigit():
            found.add(int(digits or zh))
        else:
            found.add(_ZH_DIGITS.index(zh) + 1)
    return found
