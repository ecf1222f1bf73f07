"""Fitting answer choice and verification (qa.answer.verify), and scoring the three support levels.

- The *choice* model: logistic regression over every candidate of the answerable training
  questions; a candidate is positive when it holds a short answer (a pair only when neither of
  its sentences holds it alone, so a pair is quoted only where the answer spans two sentences).
- The *verification* model: logistic regression over the chosen candidate of every training
  question; positive when the question is answerable and the chosen sentence's passage holds the
  gold, i.e. when quoting it would state the answer. Unweighted, so its output stays a
  probability. Its threshold is the lowest that states at most TARGET_NEAR_MISS_STATED of the
  near misses, on out-of-fold probabilities of an inner split (never on the items it was fitted on).
- The *topic* model: the same evidence, on-topic (answerable or near miss) against off-topic;
  its threshold calls at most TARGET_FALSE_NONE of the answerable questions "not covered".

Candidates depend only on the fusion weights, so they are built once per (question, fusion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.extract import Verdict, decide, prepare_candidates, support_of
from qa.answer.question import read_question
from qa.answer.sentences import SentenceCandidate
from qa.answer.verify import CHOICE_FEATURES, TOPIC_FEATURES, VERIFY_FEATURES
from qa.eval.metrics import Ranked, is_hit
from qa.search.calibration import Calibration
from qa.search.confidence import LogisticModel, features
from qa.search.fusion import Fusion

INNER_FOLDS = 5
KINDS = ("answerable", "near_miss", "off_topic")
# Product choices, not fitted numbers: stating a fact the documents do not give is the failure
# that costs users' trust, so at most this share of near misses may be stated (out-of-fold on the
# training folds), whatever it costs in answerable questions shown as "related"; and calling a
# question the documents answer "not covered" is the next worst, so at most this share of them.
TARGET_NEAR_MISS_STATED = 0.2
TARGET_FALSE_NONE = 0.03


@dataclass
class Evidence:
    """One question's candidates (with features and labels) and search evidence, for one fusion."""

    candidates: list[SentenceCandidate]
    holds_answer: list[bool]
    search_features: dict[str, float]


_CACHE: dict[tuple[int, float, float], Evidence] = {}


def evidence(item, fusion: Fusion, hits_of) -> Evidence:
    """Candidates and labels of `item` under `fusion` (remembered for the run)."""
    key = (id(item), fusion.sentence_weight, fusion.keyword_weight)
    if key not in _CACHE:
        q = item.question
        reading = read_question(q.question, q.lang)
        candidates = prepare_candidates(item.engine.store, reading, item.qvec, hits_of(item, fusion))
        answers = q.answer_strings(q.lang) if q.answerable else []
        holds = [any(a in c.text for a in answers) for c in candidates]
        singles = [(c.start, c.end) for c, h in zip(candidates, holds) if h and not c.pair]
        labels = [
            h and not (c.pair and any(c.start <= s and e <= c.end for s, e in singles))
            for c, h in zip(candidates, holds)
        ]
        _CACHE[key] = Evidence(candidates, labels, features(item.engine.store, item.candidates, fusion))
    return _CACHE[key]


def _logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str], threshold: float = 0.5) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression  # heavy: only fitting needs it

    if len(set(y.tolist())) < 2:
        return LogisticModel({n: 0.0 for n in names}, 10.0 if y.all() else -10.0, threshold)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((x - mean) / scale, y)
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - np.sum(weights * mean))
    return LogisticModel({n: round(float(w), 6) for n, w in zip(names, weights)}, round(bias, 6), threshold)


def _matrix(rows: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=np.float64).reshape(-1, len(names))


def fit_choice(items, fusion: Fusion, hits_of) -> LogisticModel:
    rows, labels = [], []
    for item in items:
        if not item.question.answerable:
            continue
        ev = evidence(item, fusion, hits_of)
        rows += [c.features for c in ev.candidates]
        labels += ev.holds_answer
    return _logistic(_matrix(rows, CHOICE_FEATURES), np.array(labels, dtype=int), CHOICE_FEATURES)


def passage_holds_gold(item, verdict: Verdict) -> bool:
    if verdict.chosen is None or not item.question.answerable:
        return False
    passage = verdict.chosen.passage
    return is_hit(Ranked(passage.text, passage.lang), item.question.gold)


def _verification_data(items, fusion: Fusion, hits_of, choice: LogisticModel):
    placeholder = Calibration(fusion=fusion, choice=choice)
    rows, labels = [], []
    for item in items:
        ev = evidence(item, fusion, hits_of)
        verdict = decide(
            placeholder, read_question(item.question.question, item.question.lang), ev.candidates, ev.search_features
        )
        rows.append(verdict.features)
        labels.append(passage_holds_gold(item, verdict))
    return _matrix(rows, VERIFY_FEATURES), np.array(labels, dtype=int)


def _lowest_threshold(p_negative: np.ndarray, allowed_share: float) -> float:
    """The lowest threshold that lets at most `allowed_share` of these negatives reach it."""
    if not len(p_negative):
        return 0.5
    ranked = np.sort(p_negative)[::-1]
    allowed = int(np.floor(allowed_share * len(ranked)))
    return float(ranked[allowed]) + 1e-6 if allowed < len(ranked) else 0.0


def _out_of_fold(items, x: np.ndarray, y: np.ndarray, names, folds_of) -> np.ndarray:
    oof = np.zeros(len(items))
    for inner in folds_of(items, INNER_FOLDS):
        train = np.setdiff1d(np.arange(len(items)), inner)
        fold_model = _logistic(x[train], y[train], names)
        oof[inner] = [fold_model.confidence(dict(zip(names, row))) for row in x[inner]]
    return oof


def fit_verification(items, fusion: Fusion, hits_of, choice: LogisticModel, folds_of) -> LogisticModel:
    x, y = _verification_data(items, fusion, hits_of, choice)
    model = _logistic(x, y, VERIFY_FEATURES)
    oof = _out_of_fold(items, x, y, VERIFY_FEATURES, folds_of)
    near = np.array([i.question.kind == "near_miss" for i in items])
    threshold = _lowest_threshold(oof[near], TARGET_NEAR_MISS_STATED)
    return LogisticModel(model.weights, model.bias, round(threshold, 6))


def fit_topic(items, fusion: Fusion, hits_of, choice: LogisticModel, folds_of) -> LogisticModel:
    x_all, _ = _verification_data(items, fusion, hits_of, choice)
    columns = [VERIFY_FEATURES.index(n) for n in TOPIC_FEATURES]
    x = x_all[:, columns]
    y = np.array([i.question.kind != "off_topic" for i in items], dtype=int)
    model = _logistic(x, y, TOPIC_FEATURES)
    oof = _out_of_fold(items, x, y, TOPIC_FEATURES, folds_of)
    answerable = np.array([i.question.kind == "answerable" for i in items])
    # The highest threshold that still keeps all but TARGET_FALSE_NONE of the answerable above it.
    ranked = np.sort(oof[answerable])
    threshold = float(ranked[int(np.floor(TARGET_FALSE_NONE * len(ranked)))]) if len(ranked) else 0.5
    return LogisticModel(model.weights, model.bias, round(threshold, 6))


@dataclass
class SupportOutcome:
    kind: str
    lang: str
    support: str
    stated_from_gold_passage: bool
    quote_holds_answer: bool  # the chosen sentence(s), whatever the support level


def support_outcome(item, calibration: Calibration, hits_of) -> SupportOutcome:
    q = item.question
    ev = evidence(item, calibration.fusion, hits_of)
    verdict = decide(calibration, read_question(q.question, q.lang), ev.candidates, ev.search_features)
    support = support_of(verdict, calibration)
    quote = verdict.chosen.text if verdict.chosen is not None else ""
    holds = q.answerable and any(a in quote for a in q.answer_strings(q.lang))
    return SupportOutcome(
        q.kind, q.lang, support, support == "stated" and passage_holds_gold(item, verdict), bool(holds)
    )


def support_summary(outcomes: Sequence[SupportOutcome]) -> dict:
    """The support table (kinds × levels, counts and shares) and the answer figures per language."""
    table = {}
    for kind in KINDS:
        mine = [o for o in outcomes if o.kind == kind]
        if mine:
            table[kind] = {
                "n": len(mine),
                **{level: sum(o.support == level for o in mine) for level in ("stated", "related", "none")},
            }
    answerable = [o for o in outcomes if o.kind == "answerable"]
    by_lang = {}
    for lang in ("zh", "en"):
        mine = [o for o in answerable if o.lang == lang]
        by_lang[lang] = round(sum(o.quote_holds_answer for o in mine) / len(mine), 4) if mine else None
    n = max(len(answerable), 1)
    return {
        "table": table,
        "answerable_stated_from_gold_passage": round(sum(o.stated_from_gold_passage for o in answerable) / n, 4),
        "quote_holds_answer_by_lang": by_lang,
    }
