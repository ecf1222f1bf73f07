"""Verification: does a sentence (read with its translation) give what the question asks?

Each candidate sentence gets features in both languages — how close it is to the question,
how much of the question's weighted vocabulary it and its aligned translation cover, whether it
gives the kind of fact asked (a number in the asked unit or measure word, a year, a name, a
reason) under the question's constraints (the asked year present, output rather than capacity,
a part rather than a total). Two small logistic models, fitted by cross-validation
(`qa eval --folds K --fit FILE`, qa/eval/verify_fit.py) and read from calibration.json, use them:

- the *choice* model scores every candidate: the answer is the best one;
- the *verification* model reads the chosen sentence together with the search evidence (the
  abstention features of qa.search.confidence) and gives P(stated): the probability that the
  quote states what was asked. That is the `confidence` of /v1/ask; `stated` above the fitted
  threshold;
- the *topic* model reads the same evidence and tells *related* (the documents speak of the
  subject) from *none* (not covered).

No weight or threshold is set here by hand, and nothing knows a particular corpus.
"""

from __future__ import annotations

import math
import re
from collections.abc import Set as AbstractSet

from qa.answer.question import (
    CAPACITY,
    OUTPUT_STATED,
    REASON,
    TOTAL,
    QuestionReading,
    focus_missing,
    new_names,
    ordinals_in,
    years_in,
)
from qa.answer.sentences import SentenceCandidate
from qa.answer.units import has_unit
from qa.search.confidence import LogisticModel, token_set, weighted_share
from qa.text.script import fold_traditional
from qa.text.specific import missing_share

CHOICE_FEATURES = (
    "similarity",
    "translation_similarity",
    "passage",
    "rank",
    "cover",
    "cover_own",
    "missing_top",
    "specific_missing",
    "year_missing",
    "unit_missing",
    "kind_given",
    "output_conflict",
    "part_conflict",
    "pair",
    "length",
    "focus_missing",
    "similarity_gap",
    "translation_similarity_gap",
    "cover_gap",
    "context_missing",
    "ordinal_conflict",
    "year_conflict",
    "numbers_given",
)
# Relative to the question's best candidate: the choice model is fitted on the candidates of all
# questions pooled, and a sentence's closeness counts against its rivals, not on an absolute scale.
_GAPS = {"similarity_gap": "similarity", "translation_similarity_gap": "translation_similarity", "cover_gap": "cover"}
QUESTION_FEATURES = (
    "choice",
    "lift",
    "margin",
    "coverage",
    "passage_specific_missing",
    "asks_quantity",
    "asks_year",
    "asks_name",
    "asks_unit",
    "asks_year_of",
)
VERIFY_FEATURES = CHOICE_FEATURES + QUESTION_FEATURES
# Is the question on the documents' subject at all (related) or not covered (none)?
TOPIC_FEATURES = (
    "similarity",
    "translation_similarity",
    "passage",
    "cover",
    "missing_top",
    "specific_missing",
    "lift",
    "margin",
    "coverage",
    "passage_specific_missing",
)


def _missing_top(weights: dict[str, float], found: AbstractSet[str]) -> float:
    """The rarest question word the evidence lacks, relative to the rarest word of the question."""
    if not weights:
        return 0.0
    top = max(weights.values()) or 1.0
    return max((w for t, w in weights.items() if t not in found), default=0.0) / top


_NUMBER = re.compile(
    r"\d[\d.,]*|[零一二三四五六七八九十百千万亿两]+(?=[个种座条只位名项倍次台辆家所份]|分之)"
    r"|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|"
    r"thousand|million|billion|dozen|half)\b",
    re.IGNORECASE,
)
_MONTH = re.compile(
    r"\d+月|\b(January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b|\b1[0-9]{3}s\b|世纪|century|dynasty|朝|\byears? ago\b|年前|\bBC\b|公元"
)


def _new_numbers(text: str, question: str) -> list[str]:
    """Numbers `text` gives that the question does not, years excluded."""
    asked = {n.lower() for n in _NUMBER.findall(question)} | years_in(question)
    return [
        n
        for n in (m.group() for m in _NUMBER.finditer(text))
        if n.lower().rstrip(".,") not in asked and not years_in(n)
    ]


def _question_side(reading: QuestionReading, c: SentenceCandidate) -> tuple[str, str]:
    """The candidate's sentence in the question's language and that language (the sentence
    itself when it has no translation): names are compared with the question's own words."""
    if c.passage.lang == reading.lang or not c.translation:
        return c.text, c.passage.lang
    return c.translation, reading.lang


def _kind_given(reading: QuestionReading, c: SentenceCandidate, both: str) -> float:
    """Whether the text gives a fact of the asked kind that the question itself does not hold."""
    question = reading.text
    if reading.alternatives:
        low = fold_traditional(both.lower())
        return float(any(word in low for word in reading.alternatives))
    if reading.kind == "quantity":
        return float(bool(_new_numbers(both, question)))
    if reading.kind == "year":
        return float(bool(years_in(both) - years_in(question)) or bool(_MONTH.search(both)))
    if reading.kind == "name":
        text, lang = _question_side(reading, c)
        return float(new_names(text, question, lang) > 0)
    if reading.kind == "reason":
        return float(bool(REASON.search(both)))
    return 1.0


# Two items listed together: "风电、光伏发电", "风电和光伏", "wind and photovoltaic power".
_LISTED = r"(?:、|和|与|及|\s+(?:and|or)\s+)"


def _listed_with_another(words: list[str], text: str) -> bool:
    """Whether a question word is listed together with another item: the sentence then gives
    the figure of several together, not of the part asked alone."""
    low = text.lower()
    for word in (re.escape(w) for w in words if len(w) > (1 if re.match(r"[\u4e00-\u9fff]", w) else 2)):
        if re.search(rf"{word}[\w-]*{_LISTED}[\w\u4e00-\u9fff]|[\w\u4e00-\u9fff]{_LISTED}{word}", low):
            return True
    return False


def _ordinal_conflict(question: str, both: str) -> float:
    """The question asks for the third of something and the sentence speaks of the fourth (or
    the second woman, and it names the first): ordinals on both sides, none shared."""
    asked, given = ordinals_in(question), ordinals_in(both)
    return float(bool(asked) and bool(given) and not asked & given)


def candidate_features(
    reading: QuestionReading, weights: dict[str, float], specific: list[str], c: SentenceCandidate
) -> dict[str, float]:
    own, other = c.text, c.translation
    both = f"{own}\n{other}"
    found = token_set(own) | token_set(other)
    units = reading.units
    given_years = years_in(both)
    return {
        "similarity": c.similarity,
        "translation_similarity": c.translation_similarity,
        "passage": c.passage_score,
        "rank": -float(c.rank),
        "cover": weighted_share(weights, [own, other]),
        "cover_own": weighted_share(weights, [own]),
        "missing_top": _missing_top(weights, found),
        # A name or number the sentence leaves to the sentences before it ("They began to rise
        # …", "In the same year, …") is given, not missing.
        "specific_missing": missing_share(specific, [own, other, c.passage.text[: c.start]], word_forms=True),
        "year_missing": (sum(y not in both for y in reading.years) / len(reading.years) if reading.years else 0.0),
        "unit_missing": (sum(not has_unit(forms, both) for forms in units) / len(units)) if units else 0.0,
        "kind_given": _kind_given(reading, c, both),
        "output_conflict": float(
            reading.asks_output and bool(CAPACITY.search(both)) and not OUTPUT_STATED.search(both)
        ),
        "part_conflict": float(
            reading.asks_part and (bool(TOTAL.search(both)) or _listed_with_another(list(weights), both))
        ),
        "pair": float(c.pair),
        "length": math.log1p(len(own)),
        "focus_missing": focus_missing(reading, both),
        # "In the same year, …", "The range forms …": a year or name the sentence leaves to the
        # sentences before it in its paragraph.
        "context_missing": missing_share(
            [*specific, *reading.years], [own, other, c.passage.text[: c.start]], word_forms=True
        ),
        "ordinal_conflict": _ordinal_conflict(reading.text, both),
        # Another year than the asked one: a figure of that other year, not of the asked one.
        "year_conflict": float(bool(reading.years) and bool(given_years) and not given_years & set(reading.years)),
        # How many figures it gives: the sentence that holds the asked one among several rivals
        # on the same subject is often the one that lists figures.
        "numbers_given": math.log1p(len(_new_numbers(both, reading.text))),
    }


def annotate(
    candidates: list[SentenceCandidate], reading: QuestionReading, weights: dict[str, float], specific: list[str]
) -> None:
    for c in candidates:
        c.features = candidate_features(reading, weights, specific, c)
    for gap, name in _GAPS.items():
        best = max((c.features[name] for c in candidates), default=0.0)
        for c in candidates:
            c.features[gap] = c.features[name] - best


def question_features(
    reading: QuestionReading, chosen: SentenceCandidate, choice: float, search_features: dict[str, float]
) -> dict[str, float]:
    """The verification model's input: the chosen sentence, its choice score, the search evidence."""
    return {
        **chosen.features,
        "choice": choice,
        "lift": search_features.get("lift", 0.0),
        "margin": search_features.get("margin", 0.0),
        "coverage": search_features.get("coverage", 0.0),
        "passage_specific_missing": search_features.get("specific_missing", 0.0),
        "asks_quantity": float(reading.kind == "quantity"),
        "asks_year": float(reading.kind == "year"),
        "asks_name": float(reading.kind == "name"),
        "asks_unit": float(bool(reading.units)),
        "asks_year_of": float(bool(reading.years)),
    }


def best_candidate(candidates: list[SentenceCandidate], choice: LogisticModel) -> tuple[int, float]:
    """Index and choice probability of the best candidate (-1 when there is none)."""
    if not candidates:
        return -1, 0.0
    scores = [choice.confidence(c.features) for c in candidates]
    best = max(range(len(scores)), key=scores.__getitem__)
    return best, scores[best]
